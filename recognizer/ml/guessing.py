"""A loaded model and its guesses: from ink images to digits with their probabilities.

Which version serves, and when a process loads it, is decided by the model
registry (`recognizer.registry.serving`); this module knows nothing of it.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.pipeline import Pipeline

N_CLASSES = 10


class ModelUnavailable(Exception):
    """No usable model: the message says why and what to do."""


def margin_of(probabilities: Sequence[float]) -> float:
    """Return how far the likeliest digit is ahead of the second likeliest (0 to 1).

    A small margin means the model hesitated between two digits: the
    drawings most worth a reviewer's look.
    """
    second, first = sorted(probabilities)[-2:]
    return first - second


@dataclass(frozen=True)
class Guess:
    digit: int
    confidence: float
    margin: float
    probabilities: list[float]
    features: list[int]
    model_version: str
    not_a_digit: bool = False  # the drawing looks like no digit; ``digit`` is the nearest


@dataclass(frozen=True)
class LoadedModel:
    version: str
    pipeline: Pipeline
    metadata: dict

    @property
    def refusal_threshold(self) -> float | None:
        """Return the score above which a drawing is no digit (None: this model never
        refuses; it was trained before it could)."""
        refusal = self.pipeline.named_steps.get("refusal")
        return None if refusal is None else refusal.threshold_

    def refusals(self, features: np.ndarray) -> np.ndarray:
        """Return True for each feature row that is no digit."""
        refusal = self.pipeline.named_steps.get("refusal")
        if refusal is None:
            return np.zeros(len(features), dtype=bool)
        return refusal.refuse(features)

    @property
    def features_step(self) -> Pipeline:
        """The preprocessing part of the pipeline: ink images to feature rows."""
        return self.pipeline[:1]

    def predict(self, ink: np.ndarray) -> Guess:
        """Return the guess for one ink image."""
        return self.predict_many([ink])[0]

    def predict_many(self, inks: Sequence[np.ndarray]) -> list[Guess]:
        """Return the guess for each ink image, in order, from one run of the pipeline.

        The classifier's cost is mostly per call, not per row: a batch of
        images costs it little more than one.
        """
        if not inks:
            return []
        # Run in two parts because the features are stored with each prediction.
        features = self.features_step.transform(list(inks))
        rows = self.pipeline[1:].predict_proba(features)
        refused = self.refusals(features)
        digits = [int(label) for label in self.pipeline.classes_]
        guesses = []
        for feature_row, row, not_a_digit in zip(features, rows, refused, strict=True):
            probabilities = [0.0] * N_CLASSES
            for digit, probability in zip(digits, row, strict=True):
                probabilities[digit] = float(probability)
            digit = max(range(N_CLASSES), key=probabilities.__getitem__)
            guesses.append(
                Guess(
                    digit=digit,
                    confidence=probabilities[digit],
                    margin=margin_of(probabilities),
                    probabilities=probabilities,
                    features=np.rint(feature_row).astype(int).tolist(),
                    model_version=self.version,
                    not_a_digit=bool(not_a_digit),
                )
            )
        return guesses
