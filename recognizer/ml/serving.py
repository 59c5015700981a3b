"""A loaded model and its guesses: from an ink image to a digit with its probabilities.

Which version serves, and when a process loads it, is decided by the model
registry (recognizer.model_service); this module knows nothing of it.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.pipeline import Pipeline

N_CLASSES = 10


class ModelUnavailable(Exception):
    """No usable model: the message says why and what to do."""


@dataclass(frozen=True)
class Guess:
    digit: int
    confidence: float
    probabilities: list[float]
    features: list[int]
    model_version: str


@dataclass(frozen=True)
class LoadedModel:
    version: str
    pipeline: Pipeline
    metadata: dict

    @property
    def features_step(self) -> Pipeline:
        """The preprocessing part of the pipeline: ink images to feature rows."""
        return self.pipeline[:1]

    def predict(self, ink: np.ndarray) -> Guess:
        # Run in two parts because the features are stored with each prediction.
        features = self.features_step.transform([ink])
        row = self.pipeline[1:].predict_proba(features)[0]
        probabilities = [0.0] * N_CLASSES
        for label, probability in zip(self.pipeline.classes_, row, strict=True):
            probabilities[int(label)] = float(probability)
        digit = max(range(N_CLASSES), key=probabilities.__getitem__)
        return Guess(
            digit=digit,
            confidence=probabilities[digit],
            probabilities=probabilities,
            features=np.rint(features[0]).astype(int).tolist(),
            model_version=self.version,
        )
