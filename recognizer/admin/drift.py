"""The drift panel of the statistics page: the latest check in plain words, and the
two PSI values of the recent checks as a small chart."""

from dataclasses import dataclass

import numpy as np

from recognizer.ml.drift import ALARM, NOTICEABLE, Profile
from recognizer.models import DriftCheck

CHECKS_SHOWN = 48  # twelve hours of checks every 15 minutes
CHART_WIDTH = 300
CHART_HEIGHT = 100


def percent(share: float) -> str:
    """Return a share as a whole percentage: "12%"."""
    return f"{100 * share:.0f}%"


@dataclass(frozen=True)
class Reading:
    """What a drift check says, in sentences, and a warning above the alarm level."""

    sentences: list[str]
    warning: str


def digit_sentences(recent: Profile, baseline: Profile) -> list[str]:
    """Return what changed in the mix of guessed digits: the digit guessed most above
    its usual share, and the one most below it."""
    change = np.asarray(recent.digits) - np.asarray(baseline.digits)
    more, fewer = int(change.argmax()), int(change.argmin())
    sentences = [
        f"More {more}s than usual: {percent(recent.digits[more])} of the recent guesses, "
        f"{percent(baseline.digits[more])} on the evaluation set."
    ]
    if change[fewer] < -0.05:
        sentences.append(
            f"Fewer {fewer}s than usual: {percent(recent.digits[fewer])} of the recent "
            f"guesses, {percent(baseline.digits[fewer])} on the evaluation set."
        )
    return sentences


def confidence_sentence(recent: Profile, baseline: Profile) -> str:
    """Return how the model's confidence changed, with the mean confidences."""
    figures = (
        f"mean confidence {percent(recent.mean_confidence)}, "
        f"{percent(baseline.mean_confidence)} when it was tested"
    )
    if recent.mean_confidence < baseline.mean_confidence:
        return f"The model is less sure than when it was tested ({figures})."
    return f"The model is surer than when it was tested ({figures})."


def reading_of(check: DriftCheck) -> Reading:
    """Return what the check means for someone who does not know PSI."""
    recent, baseline = Profile.from_dict(check.recent), Profile.from_dict(check.baseline)
    sentences = []
    if check.digits_psi >= NOTICEABLE:
        sentences += digit_sentences(recent, baseline)
    if check.confidence_psi >= NOTICEABLE:
        sentences.append(confidence_sentence(recent, baseline))
    if not sentences:
        sentences.append(
            "The drawings look like the training data: the model guesses each digit as often, "
            "and is as sure, as on its evaluation set."
        )
    warning = ""
    if max(check.digits_psi, check.confidence_psi) > ALARM:
        warning = (
            f"Drift above {ALARM}, the usual alarm level: the drawings coming in are no longer "
            "like those the model was tested on. Look at the recent drawings; labelling some "
            "and retraining with the history may be needed."
        )
    return Reading(sentences=sentences, warning=warning)


def chart_points(values: list[float], top: float) -> str:
    """Return an SVG polyline's points for values spread over the chart's width."""
    step = CHART_WIDTH / max(len(values) - 1, 1)
    return " ".join(
        f"{index * step:.1f},{CHART_HEIGHT * (1 - min(value, top) / top):.1f}"
        for index, value in enumerate(values)
    )


def drift_context() -> dict:
    """Return the drift panel's context: the latest check and its reading, and the
    chart of the recent checks, oldest first."""
    checks = list(DriftCheck.objects.order_by("-checked_at", "-id")[:CHECKS_SHOWN])[::-1]
    if not checks:
        return {"drift_latest": None}
    digits = [check.digits_psi for check in checks]
    confidence = [check.confidence_psi for check in checks]
    top = max(0.5, *digits, *confidence)
    latest = checks[-1]
    return {
        "drift_latest": latest,
        "drift_reading": reading_of(latest),
        "drift_checks": len(checks),
        "drift_first": checks[0],
        "drift_chart": {
            "width": CHART_WIDTH,
            "height": CHART_HEIGHT,
            "digits": chart_points(digits, top),
            "confidence": chart_points(confidence, top),
            "alarm_y": f"{CHART_HEIGHT * (1 - ALARM / top):.1f}",
            "top": round(top, 2),
        },
        "drift_alarm": ALARM,
    }
