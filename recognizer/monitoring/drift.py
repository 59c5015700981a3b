"""Drift checks: are the drawings coming in still like those the model was tested on?

Each model version keeps a baseline, the profile of its guesses on its
drawing-like evaluation sets (`metadata["drift_baseline"]`, made at training
time, or here for a version trained without it). A check compares the
profile of the last DRIFT_WINDOW predictions of the model in service with
it, stores the result (`DriftCheck`), which /metrics exports and the
statistics page shows. `drift_check_if_due` runs one every DRIFT_EVERY
minutes at most, across every server sharing the database.
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from recognizer.ml import drift
from recognizer.ml.drift import Profile
from recognizer.models import DriftCheck, DriftSchedule, ModelVersion, Prediction
from recognizer.registry.evaluation import BASELINE_KEY, drift_baseline, evaluate
from recognizer.registry.selectors import model_version_in_service
from recognizer.registry.serving import load

logger = logging.getLogger(__name__)

# Fewer recent predictions than this say too little to compare.
MIN_PREDICTIONS = 100


class DriftNotChecked(Exception):
    """No check could be made: no model in service, or too few predictions of it."""


def model_version_baseline(*, model_version: ModelVersion) -> Profile:
    """Return the version's baseline, computing and keeping it first if it has none
    (a model trained without evaluation: scoring the sets takes about 30 seconds)."""
    kept = model_version.metadata.get(BASELINE_KEY)
    if kept:
        return Profile.from_dict(kept)
    logger.info("computing the drift baseline of model %s", model_version.version)
    baseline = drift_baseline(evaluate(load(model_version).pipeline))
    with transaction.atomic():
        row = ModelVersion.objects.select_for_update().get(pk=model_version.pk)
        row.metadata = {**row.metadata, BASELINE_KEY: baseline}
        row.save(update_fields=["metadata"])
    model_version.metadata = row.metadata
    return Profile.from_dict(baseline)


def recent_profile(*, version: str, window: int) -> Profile:
    """Return the profile of the last `window` predictions of a model version."""
    rows = list(
        Prediction.objects.filter(model_version=version)
        .order_by("-created_at", "-id")
        .values_list("digit", "confidence")[:window]
    )
    return drift.profile_of([digit for digit, _ in rows], [confidence for _, confidence in rows])


def drift_check_create(*, window: int | None = None) -> DriftCheck:
    """Compare the last `window` (DRIFT_WINDOW) predictions of the model in service
    with its baseline; store and return the result. Raises DriftNotChecked."""
    window = window or settings.DRIFT_WINDOW
    model_version = model_version_in_service()
    if model_version is None:
        raise DriftNotChecked("No model is in service.")
    recent = recent_profile(version=model_version.version, window=window)
    needed = min(MIN_PREDICTIONS, window)
    if recent.samples < needed:
        raise DriftNotChecked(
            f"Model {model_version.version} has made {recent.samples} predictions; "
            f"a check needs at least {needed}."
        )
    baseline = model_version_baseline(model_version=model_version)
    result = drift.drift(baseline, recent)
    check = DriftCheck.objects.create(
        model_version=model_version.version,
        predictions=recent.samples,
        digits_psi=round(result.digits, 4),
        confidence_psi=round(result.confidence, 4),
        recent=recent.as_dict(),
        baseline=baseline.as_dict(),
    )
    logger.info(
        "drift of model %s: digits %.3f, confidence %.3f over %d predictions",
        check.model_version,
        check.digits_psi,
        check.confidence_psi,
        check.predictions,
        extra={
            "model_version": check.model_version,
            "digits_psi": check.digits_psi,
            "confidence_psi": check.confidence_psi,
            "predictions": check.predictions,
        },
    )
    return check


def drift_check_claim(*, now: datetime.datetime | None = None) -> bool:
    """Claim the next drift check if it is due: return True for the one caller, on any
    server, that moved the schedule DRIFT_EVERY minutes on; False for every other."""
    now = now or timezone.now()
    DriftSchedule.objects.get_or_create(pk=1, defaults={"next_check_at": now})
    following = now + datetime.timedelta(minutes=settings.DRIFT_EVERY)
    # One conditional UPDATE: the database lets exactly one caller match the row.
    claimed = DriftSchedule.objects.filter(pk=1, next_check_at__lte=now).update(
        next_check_at=following
    )
    return claimed == 1


def drift_next_check_at() -> datetime.datetime:
    """Return when the next drift check is due (now, if none was ever claimed)."""
    schedule = DriftSchedule.objects.filter(pk=1).first()
    return schedule.next_check_at if schedule else timezone.now()


def drift_check_if_due(*, now: datetime.datetime | None = None) -> DriftCheck | None:
    """Run a drift check if one is due (at most one every DRIFT_EVERY minutes across
    every server); return it, or None when none was due or none could be made."""
    if not drift_check_claim(now=now):
        return None
    try:
        return drift_check_create()
    except DriftNotChecked as reason:
        logger.info("no drift check: %s", reason)
        return None
