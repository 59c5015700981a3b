"""The models this process serves: the version in service (and the challenger),
each loaded once, switched within about a second of an activation made on any
machine.

`ServedModels.in_service()` is called on every prediction. It answers from
memory, and at most once per MODEL_RECHECK_SECONDS reads which versions
serve (one indexed query). A version it does not have yet is read from the
models' storage, checked against its recorded SHA-256 and library versions,
then unpickled, under a lock so that concurrent requests load it once.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError

from recognizer.ml import artifacts
from recognizer.ml.guessing import LoadedModel, ModelUnavailable
from recognizer.models import ModelVersion
from recognizer.registry.selectors import model_version_in_service
from recognizer.storage import model_storage

logger = logging.getLogger(__name__)

NO_MODEL = "No model is in service: train one with `python manage.py train_model`."


@dataclass(frozen=True)
class Snapshot:
    """The models this process serves, as of its last look at the registry."""

    in_service: LoadedModel | None
    challenger: LoadedModel | None
    checked_at: float


class ServedModels:
    """The versions this process serves: loaded once each, looked up again in the
    registry at most once per ``recheck_seconds``."""

    def __init__(self, *, recheck_seconds: float, clock: Callable[[], float] = time.monotonic):
        self.recheck_seconds = recheck_seconds
        self.loads = 0
        self._clock = clock
        self._lock = threading.Lock()
        self._serving = Snapshot(in_service=None, challenger=None, checked_at=float("-inf"))
        self._loaded: dict[str, LoadedModel] = {}
        self._error = NO_MODEL

    def in_service(self) -> LoadedModel:
        """Return the model in service; ModelUnavailable (saying why) if there is none."""
        in_service = self._fresh().in_service
        if in_service is None:
            raise ModelUnavailable(self._error)
        return in_service

    def challenger(self) -> LoadedModel | None:
        """Return the challenger that guesses in shadow, if there is one."""
        return self._fresh().challenger

    def _fresh(self) -> Snapshot:
        serving = self._serving
        if self._clock() - serving.checked_at >= self.recheck_seconds:
            with self._lock:
                serving = self._serving
                if self._clock() - serving.checked_at >= self.recheck_seconds:
                    serving = self._serving = self._refresh(serving)
        return serving

    def _refresh(self, serving: Snapshot) -> Snapshot:
        now = self._clock()
        try:
            rows = {row.role: row for row in ModelVersion.objects.exclude(role="").only(*FIELDS)}
        except DatabaseError as error:
            # Keep serving what is loaded; look again at the next check.
            logger.error("could not read the model registry: %s", error)
            return Snapshot(
                in_service=serving.in_service, challenger=serving.challenger, checked_at=now
            )
        in_service_row = rows.get(ModelVersion.Role.IN_SERVICE)
        if in_service_row is None:
            self._error = NO_MODEL
        in_service = (
            self._model(in_service_row, fallback=serving.in_service) if in_service_row else None
        )
        challenger = self._model(rows.get(ModelVersion.Role.CHALLENGER), fallback=None)
        # Keep what serves now, and what served before (a rollback needs no download).
        keep = {model.version for model in (in_service, challenger, serving.in_service) if model}
        self._loaded = {version: self._loaded[version] for version in keep}
        return Snapshot(in_service=in_service, challenger=challenger, checked_at=now)

    def _model(self, row: ModelVersion | None, fallback: LoadedModel | None) -> LoadedModel | None:
        """Return the loaded model of a registry row, loading it if needed.

        A version that cannot be loaded leaves `fallback` serving, with the
        reason logged and kept for ModelUnavailable.
        """
        if row is None:
            return None
        if row.version not in self._loaded:
            try:
                self._loaded[row.version] = load(row)
            except artifacts.ArtifactError as error:
                self._error = str(error)
                logger.error("model %s unavailable: %s", row.version, error)
                if fallback is not None:
                    logger.error("still serving model %s", fallback.version)
                return fallback
            self.loads += 1
            logger.info("model %s loaded from %s", row.version, row.artifact.name)
        return self._loaded[row.version]


FIELDS = ("version", "role", "sha256", "libraries", "artifact", "metadata")


def load(row: ModelVersion) -> LoadedModel:
    """Return a registered version's pipeline, read from storage and checked first."""
    try:
        with model_storage().open(row.artifact.name, "rb") as file:
            data = file.read()
    except Exception as error:  # each storage backend raises its own kinds
        raise artifacts.ArtifactError(
            f"The file of model {row.version} could not be read: {error}"
        ) from error
    pipeline = artifacts.deserialize(
        data,
        version=row.version,
        sha256=row.sha256,
        libraries=row.libraries,
        format=row.metadata.get("format", 1),
        recipe=artifacts.recipe_of(row.metadata),
    )
    return LoadedModel(version=row.version, pipeline=pipeline, metadata=row.metadata)


def load_version(version: str | None = None) -> LoadedModel:
    """Return a registered version (by default the one in service), freshly loaded."""
    if version:
        row = ModelVersion.objects.filter(version=version).first()
        missing = f"There is no model version {version!r}; see `manage.py list_models`."
    else:
        row = model_version_in_service()
        missing = NO_MODEL
    if row is None:
        raise ModelUnavailable(missing)
    try:
        return load(row)
    except artifacts.ArtifactError as error:
        raise ModelUnavailable(str(error)) from None


_served: ServedModels | None = None
_served_lock = threading.Lock()


def served_models() -> ServedModels:
    """Return the models this process serves, so that each version is loaded once."""
    global _served
    if _served is None:
        with _served_lock:
            if _served is None:
                _served = ServedModels(recheck_seconds=settings.MODEL_RECHECK_SECONDS)
    return _served
