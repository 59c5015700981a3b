"""What a drift check means, in sentences for someone who does not know PSI: shown on the
statistics page and printed by `manage.py check_drift`."""

from dataclasses import dataclass

import numpy as np

from recognizer.ml.drift import ALARM, NOTICEABLE, Profile
from recognizer.models import DriftCheck
from recognizer.templatetags.recognizer_format import percent


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
        f"More {more}s than usual: {percent(recent.digits[more], 0)} of the recent guesses, "
        f"{percent(baseline.digits[more], 0)} on the evaluation set."
    ]
    if change[fewer] < -0.05:
        sentences.append(
            f"Fewer {fewer}s than usual: {percent(recent.digits[fewer], 0)} of the recent "
            f"guesses, {percent(baseline.digits[fewer], 0)} on the evaluation set."
        )
    return sentences


def confidence_sentence(recent: Profile, baseline: Profile) -> str:
    """Return how the model's confidence changed, with the mean confidences."""
    figures = (
        f"mean confidence {percent(recent.mean_confidence, 0)}, "
        f"{percent(baseline.mean_confidence, 0)} when it was tested"
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
