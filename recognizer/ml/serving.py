"""The model in service: loaded once per process, switched without restart.

`ModelService.current()` is called on every prediction. It returns the
loaded model straight away, and at most once per `recheck_seconds` looks at
the `ACTIVE` file's metadata (one `stat`, no reads) to notice that another
version was activated. Loading happens under a lock, so concurrent first
requests load the artifact once.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.pipeline import Pipeline

from recognizer.ml.artifacts import ACTIVE_FILE, ArtifactError, active_version, load_artifact

logger = logging.getLogger(__name__)

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


class ModelService:
    def __init__(
        self,
        directory: Path,
        *,
        recheck_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.directory = Path(directory)
        self.recheck_seconds = recheck_seconds
        self.loads = 0
        self._clock = clock
        self._lock = threading.Lock()
        # (model, checked_at) replaced as one tuple so readers need no lock.
        self._state: tuple[LoadedModel | None, float] = (None, float("-inf"))
        self._pointer_stamp: tuple[int, int, int] | None = None
        self._error = ""

    def current(self) -> LoadedModel:
        """The model in service; raises ModelUnavailable if there is none."""
        model, checked_at = self._state
        if self._clock() - checked_at >= self.recheck_seconds:
            with self._lock:
                model, checked_at = self._state
                now = self._clock()
                if now - checked_at >= self.recheck_seconds:
                    model = self._refresh(model, now)
        if model is None:
            raise ModelUnavailable(self._error)
        return model

    def _refresh(self, model: LoadedModel | None, now: float) -> LoadedModel | None:
        stamp = self._stamp()
        if model is not None and stamp == self._pointer_stamp:
            self._state = (model, now)
            return model
        try:
            version = active_version(self.directory)
            if model is None or model.version != version:
                pipeline, metadata = load_artifact(self.directory, version)
                model = LoadedModel(version=version, pipeline=pipeline, metadata=metadata)
                self.loads += 1
                logger.info("model %s loaded from %s", version, self.directory)
        except ArtifactError as error:
            self._error = str(error)
            logger.error("model unavailable: %s", error)
            if model is not None:
                logger.error("still serving model %s", model.version)
            # Not remembering the stamp makes the next check try again.
            self._state = (model, now)
            return model
        self._pointer_stamp = stamp
        self._error = ""
        self._state = (model, now)
        return model

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            info = (self.directory / ACTIVE_FILE).stat()
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size, info.st_ino)
