"""The challenger against the model in service, and, with AUTO_PROMOTE, the challenger
put in service on its own once it is significantly better.

"Significantly better": on the drawings labelled since the challenger started
that both it and the version in service guessed (at least
AUTO_PROMOTE_MIN_LABELLED), McNemar's exact test on those where exactly one of
them was right: a two-sided binomial test of how often it was the challenger,
p < 0.05, and the challenger right more often. Without that evidence nothing
changes.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, F, Q
from scipy.stats import binomtest

from recognizer.history.statistics import DIGIT_LABELLED, challenged_since
from recognizer.models import ModelVersion, Prediction
from recognizer.registry.services import RegistryError, model_version_promote

logger = logging.getLogger(__name__)

SIGNIFICANCE = 0.05
AUTOMATIC_PROMOTION = "automatic promotion"


@dataclass(frozen=True)
class Evidence:
    """The challenger against the version in service on the same labelled drawings."""

    challenger: str
    served: str
    labelled: int
    challenger_right: int
    served_right: int
    only_challenger_right: int
    only_served_right: int
    p_value: float | None

    @property
    def enough(self) -> bool:
        return self.labelled >= settings.AUTO_PROMOTE_MIN_LABELLED

    @property
    def significantly_better(self) -> bool:
        """Whether the challenger is right significantly more often (and on enough drawings)."""
        return (
            self.enough
            and self.only_challenger_right > self.only_served_right
            and self.p_value is not None
            and self.p_value < SIGNIFICANCE
        )


def challenger_evidence() -> Evidence | None:
    """Return the challenger's evidence against the version in service; None without both."""
    roles = {row.role: row for row in ModelVersion.objects.exclude(role="")}
    challenger = roles.get(ModelVersion.Role.CHALLENGER)
    served = roles.get(ModelVersion.Role.IN_SERVICE)
    if challenger is None or served is None:
        return None
    challenger_right = Q(challenger_digit=F("label"))
    served_right = Q(digit=F("label"))
    counts = (
        Prediction.objects.filter(
            challenged_since(challenger.version, challenger.role_since),
            DIGIT_LABELLED,
            model_version=served.version,
        )
        .order_by()
        .aggregate(
            labelled=Count("id"),
            challenger_right=Count("id", filter=challenger_right),
            served_right=Count("id", filter=served_right),
            only_challenger_right=Count("id", filter=challenger_right & ~served_right),
            only_served_right=Count("id", filter=served_right & ~challenger_right),
        )
    )
    disagreements = counts["only_challenger_right"] + counts["only_served_right"]
    p_value = (
        float(binomtest(counts["only_challenger_right"], disagreements, 0.5).pvalue)
        if disagreements
        else None
    )
    return Evidence(challenger=challenger.version, served=served.version, p_value=p_value, **counts)


def challenger_maybe_promote() -> ModelVersion | None:
    """Promote the challenger if it is significantly better; return it if it was."""
    evidence = challenger_evidence()
    if evidence is None or not evidence.significantly_better:
        return None
    via = (
        f"{AUTOMATIC_PROMOTION}: right alone {evidence.only_challenger_right} times vs "
        f"{evidence.only_served_right}, p={evidence.p_value:.2g}"
    )
    try:
        promoted = model_version_promote(via=via[:100])
    except RegistryError:  # another process promoted it (or stopped it) first
        return None
    logger.info("challenger %s promoted automatically (%s)", promoted, via)
    return promoted


def labels_given_promote(*, label: int | None, count: int, **kwargs: object) -> None:
    """With AUTO_PROMOTE, judge the challenger again once new labels are committed
    (connected to `labels_given` in `RecognizerConfig.ready`)."""
    if settings.AUTO_PROMOTE:
        challenger_maybe_promote()
