"""Readiness: whether each component that a prediction needs answers.

Each check returns `{"status": "ok", ...}` or `{"status": "error", "detail": ...}`,
so that a failing readiness probe names what is wrong.
"""

import os

from django.db import DatabaseError

from recognizer.ml.serving import ModelUnavailable
from recognizer.model_service import get_model_service
from recognizer.models import Prediction


def database_check() -> dict:
    """Return whether the database answers a query."""
    try:
        Prediction.objects.only("pk").first()
    except DatabaseError as error:
        return {"status": "error", "detail": str(error)}
    return {"status": "ok"}


def model_check() -> dict:
    """Return whether a model is in service in this process, and which one.

    It also says which worker process answered and how many times that
    process has loaded a model (1 unless another version was activated since
    it started): the way to see that models are loaded once per process.
    """
    service = get_model_service()
    try:
        model = service.current()
    except ModelUnavailable as error:
        return {"status": "error", "detail": str(error)}
    return {
        "status": "ok",
        "version": model.version,
        "loads": service.loads,
        "process": os.getpid(),
    }


def readiness() -> dict:
    """Return every component's check, by name."""
    return {"database": database_check(), "model": model_check()}
