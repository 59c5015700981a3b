"""Changes of the model registry: storing trained versions, and changing which one serves.

Every change of the model in service (or of the challenger) happens in one
transaction and is recorded as a ModelActivation: who, when, from which
version. Serving processes notice it within a second (`recognizer.registry.serving`).
"""

import hashlib
import json
from pathlib import Path

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from recognizer.ml import artifacts
from recognizer.models import ModelActivation, ModelVersion
from recognizer.registry.selectors import model_version_challenger, model_version_in_service
from recognizer.storage import model_storage

VERSION_LENGTH = 12
Action = ModelActivation.Action
Role = ModelVersion.Role
NO_CHALLENGER = "There is no challenger; make one with `activate_model --challenger`."


class RegistryError(Exception):
    """A change of the model in service that cannot be made; the message says why."""


def model_version_create(*, pipeline: object, metadata: dict, trained_by: str) -> ModelVersion:
    """Store a trained pipeline and its metadata; return its version (not activated)."""
    return model_version_store(
        data=artifacts.serialize(pipeline), metadata=metadata, trained_by=trained_by
    )


def model_version_store(*, data: bytes, metadata: dict, trained_by: str) -> ModelVersion:
    """Store an artifact's bytes, then its row; return the version (not activated).

    The version is named by the artifact's content: storing the same model
    twice returns the version stored first.
    """
    digest = hashlib.sha256(data).hexdigest()
    version = digest[:VERSION_LENGTH]
    existing = ModelVersion.objects.filter(version=version).first()
    if existing is not None:
        return existing
    # The file first: a row never names an artifact that is not there.
    name = f"model-{version}.joblib"
    if not model_storage().exists(name):
        name = model_storage().save(name, ContentFile(data))
    details = dict(metadata)
    return ModelVersion.objects.create(
        version=version,
        trained_by=trained_by,
        algorithm=details.pop("algorithm", ""),
        artifact=name,
        sha256=digest,
        size_bytes=len(data),
        libraries=details.pop("libraries", artifacts.library_versions()),
        training_data=details.pop("training_data", {}),
        evaluation=details.pop("evaluation", {}),
        metadata=details,
    )


def model_version_activate(
    *,
    version: str,
    via: str,
    by: AbstractBaseUser | None = None,
    action: str = Action.ACTIVATE,
) -> ModelVersion:
    """Put a version in service in place of the current one; return it.

    Refused (RegistryError) for an unknown version or one trained with other
    library versions than this process runs: it could not be loaded.
    """
    with transaction.atomic():
        chosen = locked_version(version)
        require_usable(chosen, "be put in service")
        role_give(chosen, role=Role.IN_SERVICE, action=action, via=via, by=by)
    return chosen


def rollback_target() -> ModelVersion:
    """Return the version that served before the one in service, which a rollback puts
    back; RegistryError if there is none."""
    in_service = model_version_in_service()
    if in_service is None:
        raise RegistryError("No model is in service: there is nothing to roll back.")
    arrival = (
        ModelActivation.objects.filter(
            version=in_service, action__in=[Action.ACTIVATE, Action.ROLLBACK, Action.PROMOTE]
        )
        .order_by("-at", "-id")
        .first()
    )
    if arrival is None or arrival.previous is None:
        raise RegistryError(
            f"Model {in_service} was the first in service: there is no previous one."
        )
    return arrival.previous


def model_version_rollback(*, via: str, by: AbstractBaseUser | None = None) -> ModelVersion:
    """Put back in service the version that served before the one in service; return it."""
    return model_version_activate(
        version=rollback_target().version, via=via, by=by, action=Action.ROLLBACK
    )


def model_version_challenge(
    *, version: str, via: str, by: AbstractBaseUser | None = None
) -> ModelVersion:
    """Make a version the challenger, in place of any other; return it.

    From then on every prediction is also guessed by it, in shadow. Refused
    (RegistryError) for the version in service, or one that could not be loaded.
    """
    with transaction.atomic():
        chosen = locked_version(version)
        require_usable(chosen, "be the challenger")
        if chosen.role == Role.IN_SERVICE:
            raise RegistryError(f"Model {version} is in service: it cannot challenge itself.")
        role_give(chosen, role=Role.CHALLENGER, action=Action.CHALLENGE, via=via, by=by)
    return chosen


def model_version_stop_challenge(*, via: str, by: AbstractBaseUser | None = None) -> ModelVersion:
    """Stop the challenger guessing; return the version that was the challenger."""
    with transaction.atomic():
        challenger = locked_challenger()
        set_role(challenger, "")
        ModelActivation.objects.create(
            action=Action.STOP_CHALLENGE, version=challenger, by=by, via=via
        )
    return challenger


def model_version_promote(*, via: str, by: AbstractBaseUser | None = None) -> ModelVersion:
    """Put the challenger in service in place of the current version; return it.

    It stops being the challenger; a rollback brings back the version it replaced.
    """
    with transaction.atomic():
        challenger = locked_challenger()
        require_usable(challenger, "be put in service")
        role_give(challenger, role=Role.IN_SERVICE, action=Action.PROMOTE, via=via, by=by)
    return challenger


def challenger() -> ModelVersion:
    """Return the challenger; RegistryError if there is none."""
    found = model_version_challenger()
    if found is None:
        raise RegistryError(NO_CHALLENGER)
    return found


def locked_challenger() -> ModelVersion:
    """Return the challenger's row, locked for the rest of the transaction."""
    challenger = ModelVersion.objects.select_for_update().filter(role=Role.CHALLENGER).first()
    if challenger is None:
        raise RegistryError(NO_CHALLENGER)
    return challenger


def model_version_record_evaluation(*, version: str, evaluation: dict) -> ModelVersion:
    """Keep a version's figures on the evaluation sets (shown by /api/model/); return it."""
    with transaction.atomic():
        model_version = locked_version(version)
        model_version.evaluation = evaluation
        model_version.save(update_fields=["evaluation"])
    return model_version


def role_give(
    model_version: ModelVersion,
    *,
    role: str,
    action: str,
    via: str,
    by: AbstractBaseUser | None,
) -> None:
    """Give a version a role in place of the version holding it, and record the change."""
    current = ModelVersion.objects.select_for_update().filter(role=role).first()
    if current is not None and current.pk == model_version.pk:
        return
    if current is not None:  # the roles are unique: the holder is freed first
        set_role(current, "")
    set_role(model_version, role)
    ModelActivation.objects.create(
        action=action, version=model_version, previous=current, by=by, via=via
    )


def require_usable(model_version: ModelVersion, purpose: str) -> None:
    """Refuse (RegistryError) a version this code cannot run, saying what it cannot do."""
    reason = usable_reason(model_version)
    if reason:
        raise RegistryError(f"Model {model_version} cannot {purpose}: {reason}")


def usable_reason(model_version: ModelVersion) -> str:
    """Return why this code cannot run a version ("" if it can)."""
    return artifacts.unusable(
        libraries=model_version.libraries,
        format=model_version.metadata.get("format", 1),
        recipe=artifacts.recipe_of(model_version.metadata),
    )


def locked_version(version: str) -> ModelVersion:
    """Return a version's row, locked for the rest of the transaction."""
    chosen = ModelVersion.objects.select_for_update().filter(version=version).first()
    if chosen is None:
        raise RegistryError(f"There is no model version {version!r}; see `manage.py list_models`.")
    return chosen


def set_role(model_version: ModelVersion, role: str) -> None:
    """Give a version a role ("" for none), noting since when it holds it."""
    model_version.role = role
    model_version.role_since = timezone.now() if role else None
    model_version.save(update_fields=["role", "role_since"])


def model_versions_import(*, folder: Path) -> list[ModelVersion]:
    """Register the artifacts a folder holds from before the registry; return the new ones.

    Each `model-<version>.joblib` is taken with its `model-<version>.json`
    metadata if its bytes match the SHA-256 recorded there; the version named
    by the folder's ACTIVE file is put in service if none is and it can run.
    """
    known = set(ModelVersion.objects.values_list("version", flat=True))
    imported = [
        model_version_store(data=data, metadata=metadata, trained_by=f"imported from {folder}")
        for data, metadata in map(legacy_artifact, sorted(folder.glob("model-*.json")))
        if data
    ]
    named = {model_version.version: model_version for model_version in imported}
    active = (folder / "ACTIVE").read_text().strip() if (folder / "ACTIVE").exists() else ""
    serving = model_version_in_service() is not None
    if active in named and not serving and not usable_reason(named[active]):
        model_version_activate(version=active, via="manage.py import_models")
    return [model_version for model_version in imported if model_version.version not in known]


def legacy_artifact(metadata_path: Path) -> tuple[bytes, dict]:
    """Return a pre-registry artifact's bytes and metadata (b"" if unreadable or altered)."""
    try:
        metadata = json.loads(metadata_path.read_text())
        data = metadata_path.with_suffix(".joblib").read_bytes()
    except (OSError, ValueError):
        return b"", {}
    if not isinstance(metadata, dict) or hashlib.sha256(data).hexdigest() != metadata.get("sha256"):
        return b"", {}
    # The registry row records these by itself.
    return data, {key: value for key, value in metadata.items() if key not in LEGACY_KEYS}


LEGACY_KEYS = {"version", "sha256", "size_bytes"}
