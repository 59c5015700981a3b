"""Drift: how far recent guesses are from those on the evaluation set, by the
population stability index (PSI).

Two dimensions: the mix of guessed digits (10 shares) and the distribution
of the guessed digit's probability (10 bins of equal width, as the
calibration table has). PSI is sum((actual - expected) * ln(actual /
expected)) over the shares; below 0.1 nothing moved, 0.1 to 0.2 something
did, above 0.2 is the usual alarm level.
"""

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

DIGITS = 10
CONFIDENCE_BINS = 10
# An empty share is counted as this much, so that PSI stays finite.
EMPTY_SHARE = 1e-4
NOTICEABLE = 0.1
ALARM = 0.2


@dataclass(frozen=True)
class Profile:
    """What a model guessed on a set of drawings: the share of each digit among its
    guesses, the share of guesses in each confidence bin, the mean confidence and the
    number of drawings."""

    digits: list[float]
    confidence: list[float]
    mean_confidence: float
    samples: int

    def as_dict(self) -> dict:
        """Return the profile as JSON-ready data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Profile":
        """Return the profile that `as_dict` gave."""
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


def shares(counts: np.ndarray) -> list[float]:
    """Return counts as shares of their total (zeros for no counts)."""
    total = counts.sum()
    return [float(value) for value in (counts / total if total else counts * 0.0)]


def confidence_bin(confidence: np.ndarray) -> np.ndarray:
    """Return each confidence's bin 0..9: [0, 0.1), [0.1, 0.2), ..., [0.9, 1]."""
    return np.minimum((np.asarray(confidence) * CONFIDENCE_BINS).astype(int), CONFIDENCE_BINS - 1)


def profile_of(digits: Sequence[int], confidences: Sequence[float]) -> Profile:
    """Return the profile of guesses: their digits and the guessed digits' probabilities."""
    confidences = np.asarray(confidences, dtype=float)
    return Profile(
        digits=shares(np.bincount(np.asarray(digits, dtype=int), minlength=DIGITS)),
        confidence=shares(np.bincount(confidence_bin(confidences), minlength=CONFIDENCE_BINS)),
        mean_confidence=float(confidences.mean()) if len(confidences) else 0.0,
        samples=len(confidences),
    )


def profile_of_scores(scores: Iterable[object]) -> Profile:
    """Return the profile of a model's guesses on evaluation sets, from each set's scores
    (their confusion matrix, true digit by guess, and calibration table by bin)."""
    guessed = np.zeros(DIGITS)
    binned = np.zeros(CONFIDENCE_BINS)
    confidence_sum = 0.0
    for score in scores:
        guessed += np.asarray(score.confusion).sum(axis=0)
        for row in score.reliability:
            binned[round(row["low"] * CONFIDENCE_BINS)] += row["count"]
            confidence_sum += row["confidence"] * row["count"]
    samples = int(binned.sum())
    return Profile(
        digits=shares(guessed),
        confidence=shares(binned),
        mean_confidence=confidence_sum / samples if samples else 0.0,
        samples=samples,
    )


def psi(expected: Sequence[float], actual: Sequence[float]) -> float:
    """Return the population stability index of `actual` shares against `expected`."""
    expected = np.maximum(np.asarray(expected, dtype=float), EMPTY_SHARE)
    actual = np.maximum(np.asarray(actual, dtype=float), EMPTY_SHARE)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


@dataclass(frozen=True)
class Drift:
    """PSI of recent guesses against the baseline, by dimension."""

    digits: float
    confidence: float


def drift(baseline: Profile, recent: Profile) -> Drift:
    """Return how far the recent profile is from the baseline, by dimension."""
    return Drift(
        digits=psi(baseline.digits, recent.digits),
        confidence=psi(baseline.confidence, recent.confidence),
    )
