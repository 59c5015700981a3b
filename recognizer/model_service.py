"""The process-wide model service, configured from the settings."""

from functools import cache
from pathlib import Path

from django.conf import settings

from recognizer.ml.serving import ModelService


@cache
def _service_for(directory: Path) -> ModelService:
    return ModelService(directory)


def get_model_service() -> ModelService:
    """One service per model directory and process, so loads happen once."""
    return _service_for(Path(settings.MODEL_DIR))
