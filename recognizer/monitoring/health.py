"""Readiness: whether each component that a prediction needs answers.

Each check returns `{"status": "ok", ...}` or `{"status": "error", "detail": ...}`,
so that a failing readiness probe names what is wrong.
"""

import os

from django.core.cache import cache
from django.db import DatabaseError

from recognizer.ml.guessing import ModelUnavailable
from recognizer.models import Prediction
from recognizer.registry.serving import served_models
from recognizer.storage import drawing_storage


def database_check() -> dict:
    """Return whether the database answers a query."""
    try:
        Prediction.objects.only("pk").first()
    except DatabaseError as error:
        return {"status": "error", "detail": str(error)}
    return {"status": "ok"}


def cache_check() -> dict:
    """Return whether the cache (where throttling counts) answers."""
    try:
        cache.get("readyz")
    except Exception as error:  # each cache backend raises its own kinds
        return {"status": "error", "detail": str(error)}
    return {"status": "ok", "backend": type(cache).__name__}


def storage_check() -> dict:
    """Return whether the drawings' storage answers."""
    storage = drawing_storage()
    try:
        storage.exists("drawings")
    except Exception as error:  # each storage backend raises its own kinds
        return {"status": "error", "detail": str(error)}
    return {"status": "ok", "backend": storage.__class__.__name__}  # (the proxied class)


def model_check() -> dict:
    """Return whether a model is in service in this process, and which one.

    It also says which worker process answered and how many times that
    process has loaded a model (1 unless another version was activated since
    it started): the way to see that models are loaded once per process.
    """
    served = served_models()
    try:
        model = served.in_service()
    except ModelUnavailable as error:
        return {"status": "error", "detail": str(error)}
    return {
        "status": "ok",
        "version": model.version,
        "loads": served.loads,
        "process": os.getpid(),
    }


# Without these a prediction fails; without the cache it is only not throttled.
REQUIRED = ("database", "storage", "model")


def readiness() -> tuple[str, dict]:
    """Return the overall status ("ok", "degraded" or "unavailable") and each check."""
    checks = {
        "database": database_check(),
        "cache": cache_check(),
        "storage": storage_check(),
        "model": model_check(),
    }
    failing = {name for name, check in checks.items() if check["status"] != "ok"}
    if failing & set(REQUIRED):
        return "unavailable", checks
    return ("degraded" if failing else "ok"), checks
