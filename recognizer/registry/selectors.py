"""Reads of the model registry."""

from recognizer.models import ModelVersion


def model_version_in_service() -> ModelVersion | None:
    """Return the registry's row of the model version in service, if there is one."""
    return ModelVersion.objects.filter(role=ModelVersion.Role.IN_SERVICE).first()


def model_version_challenger() -> ModelVersion | None:
    """Return the registry's row of the challenger, if there is one."""
    return ModelVersion.objects.filter(role=ModelVersion.Role.CHALLENGER).first()


def model_version_get(*, version: str) -> ModelVersion:
    """Return the registry's row of a version; ModelVersion.DoesNotExist if unknown."""
    return ModelVersion.objects.get(version=version)
