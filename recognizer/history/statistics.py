"""Statistics of the history: accuracy overall, per digit and per model version, the
confusion matrix, drawings per day; the challenger against the guesses served; and
model versions compared on the same rescored drawings.

Computed by the database (grouped counts), never by looping over rows in
Python, so they stay fast with a large history.
"""

import datetime
from dataclasses import dataclass
from itertools import pairwise

from django.db.models import (
    Case,
    Count,
    F,
    Func,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from recognizer.history.selectors import CHALLENGED, CORRECT, HOLD_OUT_EVERY
from recognizer.models import NOT_A_DIGIT, ModelVersion, Prediction, Rescore
from recognizer.registry.selectors import model_version_challenger

DIGITS = range(10)
# Labelled with a digit: a drawing labelled "not a digit" has no right or wrong guess.
DIGIT_LABELLED = Q(label__lt=NOT_A_DIGIT)


def ratio(part: int, whole: int) -> float | None:
    """Return part / whole, or None when there is no whole."""
    return part / whole if whole else None


class LabelledAccuracy:
    """Accuracy on the labelled part of a group of predictions."""

    labelled: int
    correct: int

    @property
    def accuracy(self) -> float | None:
        return ratio(self.correct, self.labelled)


@dataclass(frozen=True)
class DigitAccuracy(LabelledAccuracy):
    digit: int
    labelled: int
    correct: int


@dataclass(frozen=True)
class VersionAccuracy(LabelledAccuracy):
    version: str
    total: int
    labelled: int
    correct: int
    first_used: datetime.datetime
    last_used: datetime.datetime


@dataclass(frozen=True)
class HistoryStatistics(LabelledAccuracy):
    total: int
    labelled: int
    correct: int
    by_digit: list[DigitAccuracy]
    by_version: list[VersionAccuracy]
    confusion: list[list[int]]  # confusion[guess][truth]
    per_day: list[tuple[datetime.date, int]]
    non_digits: "NonDigitCounts"


@dataclass(frozen=True)
class NonDigitCounts:
    """Drawings people said were no digit, and how many of them the model refused."""

    labelled: int
    refused: int


def non_digit_counts() -> NonDigitCounts:
    """Return how many drawings were labelled not a digit, and refused by the model."""
    counts = Prediction.objects.filter(label=NOT_A_DIGIT).aggregate(
        labelled=Count("id"), refused=Count("id", filter=Q(not_a_digit=True))
    )
    return NonDigitCounts(**counts)


def history_statistics(*, days: int = 30) -> HistoryStatistics:
    """Return counts and accuracies of the whole history, from grouped queries."""
    # Labelled rows by version, truth and guess: a scan of their own small index
    # that gives the confusion matrix and every accuracy below.
    labelled: dict[str, list[list[int]]] = {}
    for row in (
        Prediction.objects.filter(DIGIT_LABELLED)
        .order_by()
        .values("model_version", "label", "digit")
        .annotate(count=Count("id"))
    ):
        matrix = labelled.setdefault(row["model_version"], [[0] * 10 for _ in DIGITS])
        matrix[row["digit"]][row["label"]] = row["count"]
    confusion = [
        [sum(matrix[guess][truth] for matrix in labelled.values()) for truth in DIGITS]
        for guess in DIGITS
    ]
    versions = versions_used(labelled)
    return HistoryStatistics(
        total=sum(v.total for v in versions),
        labelled=sum(v.labelled for v in versions),
        correct=sum(v.correct for v in versions),
        by_digit=[
            DigitAccuracy(
                digit=truth,
                labelled=sum(confusion[guess][truth] for guess in DIGITS),
                correct=confusion[truth][truth],
            )
            for truth in DIGITS
        ],
        by_version=versions,
        confusion=confusion,
        per_day=drawings_per_day(days),
        non_digits=non_digit_counts(),
    )


def versions_used(labelled: dict[str, list[list[int]]]) -> list[VersionAccuracy]:
    """Return each model version's guesses, first and last use, most recently used
    first, with the accuracy of its confusion matrix in `labelled`."""
    # Only what the version's own index holds, so counting never reads the rows.
    rows = (
        Prediction.objects.order_by()
        .values("model_version")
        .annotate(total=Count("id"), first_used=Min("created_at"), last_used=Max("created_at"))
        .order_by("-last_used")
    )
    empty = [[0] * 10 for _ in DIGITS]
    return [
        VersionAccuracy(
            version=row["model_version"],
            total=row["total"],
            labelled=sum(map(sum, labelled.get(row["model_version"], empty))),
            correct=sum(labelled.get(row["model_version"], empty)[d][d] for d in DIGITS),
            first_used=row["first_used"],
            last_used=row["last_used"],
        )
        for row in rows
    ]


def drawings_per_day(days: int) -> list[tuple[datetime.date, int]]:
    """Return how many drawings were stored on each of the last `days` days (today too)."""
    today = timezone.localdate()
    dates = [today - datetime.timedelta(days=n) for n in range(days - 1, -1, -1)]
    midnights = [
        timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
        for day in [*dates, today + datetime.timedelta(days=1)]
    ]
    # One index range count a day: grouping by TruncDate would cast the date of
    # every row, which SQLite does by calling back into Python for each.
    return [
        (day, Prediction.objects.filter(created_at__gte=start, created_at__lt=end).count())
        for day, (start, end) in zip(dates, pairwise(midnights), strict=True)
    ]


@dataclass(frozen=True)
class LabelledCounts(LabelledAccuracy):
    labelled: int
    correct: int


def challenged_since(version: str | OuterRef, since: datetime.datetime | OuterRef) -> Q:
    """Return the filter of the drawings a challenger guessed in shadow since it started:
    the one definition of "since it started", for its box and its row on Model versions."""
    return CHALLENGED & Q(challenger_version=version, created_at__gte=since)


def row_count(queryset: QuerySet) -> Coalesce:
    """Return an expression counting the rows of `queryset` (a correlated subquery)."""
    counted = queryset.order_by().annotate(n=Func(F("id"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted), 0)


def with_live_accuracy(versions: QuerySet[ModelVersion]) -> QuerySet[ModelVersion]:
    """Annotate each version with `live_labelled` and `live_correct`: the labelled
    drawings it guessed and those it got right. The challenger counts its guesses in
    shadow since it started (as `challenger_figures` does); any other version, the
    guesses it served."""
    labelled = Prediction.objects.filter(DIGIT_LABELLED)
    served = labelled.filter(model_version=OuterRef("version"))
    shadow = labelled.filter(challenged_since(OuterRef("version"), OuterRef("role_since")))
    is_challenger = Q(role=ModelVersion.Role.CHALLENGER)
    return versions.annotate(
        live_labelled=Case(When(is_challenger, then=row_count(shadow)), default=row_count(served)),
        live_correct=Case(
            When(is_challenger, then=row_count(shadow.filter(label=F("challenger_digit")))),
            default=row_count(served.filter(CORRECT)),
        ),
    )


@dataclass(frozen=True)
class ChallengerFigures:
    """The challenger against the guesses served, on the drawings made since it started."""

    version: str
    since: datetime.datetime
    guessed: int
    agreed: int
    labelled: int
    served_correct: int
    challenger_correct: int

    @property
    def agreement(self) -> float | None:
        return ratio(self.agreed, self.guessed)

    @property
    def served_accuracy(self) -> float | None:
        return ratio(self.served_correct, self.labelled)

    @property
    def challenger_accuracy(self) -> float | None:
        return ratio(self.challenger_correct, self.labelled)


def challenger_figures() -> ChallengerFigures | None:
    """Return how often the challenger agrees with the guesses served since it started,
    and the accuracy of both on those drawings that are labelled; None without one."""
    challenger = model_version_challenger()
    if challenger is None:
        return None
    counts = (
        Prediction.objects.filter(challenged_since(challenger.version, challenger.role_since))
        .order_by()
        .aggregate(
            guessed=Count("id"),
            agreed=Count("id", filter=Q(challenger_digit=F("digit"))),
            labelled=Count("id", filter=DIGIT_LABELLED),
            served_correct=Count("id", filter=CORRECT),
            challenger_correct=Count("id", filter=Q(label=F("challenger_digit"))),
        )
    )
    return ChallengerFigures(version=challenger.version, since=challenger.role_since, **counts)


@dataclass(frozen=True)
class RescoredVersion(LabelledAccuracy):
    """One version's guesses of the drawings that every compared version rescored."""

    version: str
    labelled: int
    correct: int
    held_out: LabelledCounts
    by_digit: list[DigitAccuracy]


def rescore_comparison() -> list[RescoredVersion]:
    """Return every rescored version's accuracy on exactly the same labelled drawings:
    those each of them guessed (`manage.py rescore_history`), overall, on the ones
    held out from training, and per digit drawn. Empty if nothing was rescored."""
    versions = sorted(Rescore.objects.order_by().values_list("model_version", flat=True).distinct())
    if not versions:
        return []
    common = (
        Rescore.objects.filter(model_version__in=versions, prediction__label__lt=NOT_A_DIGIT)
        .order_by()
        .values("prediction")
        .annotate(versions=Count("id"))
        .filter(versions=len(versions))
        .values("prediction")
    )
    rows = (
        Rescore.objects.filter(model_version__in=versions, prediction__in=common)
        .alias(held_out=F("prediction_id") % HOLD_OUT_EVERY)
        .order_by()
        .values("model_version", "prediction__label")
        .annotate(
            labelled=Count("id"),
            correct=Count("id", filter=Q(digit=F("prediction__label"))),
            held_out_labelled=Count("id", filter=Q(held_out=0)),
            held_out_correct=Count("id", filter=Q(held_out=0, digit=F("prediction__label"))),
        )
    )
    by_version: dict[str, dict[int, dict]] = {version: {} for version in versions}
    for row in rows:
        by_version[row["model_version"]][row["prediction__label"]] = row
    return [rescored_version(version, by_version[version]) for version in versions]


NONE_RESCORED = {"labelled": 0, "correct": 0, "held_out_labelled": 0, "held_out_correct": 0}


def rescored_version(version: str, by_digit: dict[int, dict]) -> RescoredVersion:
    """Return one version's figures from its grouped counts, by digit drawn."""
    counts = [by_digit.get(digit, NONE_RESCORED) for digit in DIGITS]
    return RescoredVersion(
        version=version,
        labelled=sum(row["labelled"] for row in counts),
        correct=sum(row["correct"] for row in counts),
        held_out=LabelledCounts(
            labelled=sum(row["held_out_labelled"] for row in counts),
            correct=sum(row["held_out_correct"] for row in counts),
        ),
        by_digit=[
            DigitAccuracy(digit=digit, labelled=row["labelled"], correct=row["correct"])
            for digit, row in zip(DIGITS, counts, strict=True)
        ],
    )
