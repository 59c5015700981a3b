"""API errors: every failure becomes `{"detail": ..., "code": ...}` here, and only here.

Domain errors (a drawing that cannot be decoded, no model in service, a
file that could not be stored, ...) are raised by the code that meets them
and turned into HTTP by `api_exception_handler`, named in REST_FRAMEWORK's
EXCEPTION_HANDLER. Validation errors keep DRF's per-field messages under
`errors`; a database that is down or locked is a 503 (try again), not a 500.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import TooManyFilesSent
from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import status
from rest_framework.exceptions import (
    APIException,
    ErrorDetail,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from rest_framework.response import Response
from rest_framework.views import exception_handler

from recognizer.errors import error_body, retry_headers
from recognizer.history.drawings import StorageUnavailable
from recognizer.history.services import PredictionKept, PredictionNotFound
from recognizer.jobs.services import JobError
from recognizer.ml import decoding
from recognizer.ml.guessing import ModelUnavailable

logger = logging.getLogger(__name__)

# Each domain error, the status it answers with and its code (None: the
# exception's own `code`). The first matching class wins.
DOMAIN_ERRORS: list[tuple[type[Exception], int, str | None]] = [
    (decoding.ImageTooLarge, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, None),
    (decoding.UnsupportedImageType, status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, None),
    (decoding.DecodingError, status.HTTP_400_BAD_REQUEST, None),
    (PredictionNotFound, status.HTTP_400_BAD_REQUEST, "does_not_exist"),
    (PredictionKept, status.HTTP_403_FORBIDDEN, None),
    (ModelUnavailable, status.HTTP_503_SERVICE_UNAVAILABLE, "model_not_ready"),
    (StorageUnavailable, status.HTTP_503_SERVICE_UNAVAILABLE, "storage_unavailable"),
    (TooManyFilesSent, status.HTTP_400_BAD_REQUEST, "too_many_files"),
    (JobError, status.HTTP_409_CONFLICT, "job_ended"),
]


def domain_error(exc: Exception) -> APIException | None:
    """Return the API exception a domain error answers with, or None for any other."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        logger.error("database unavailable: %s", exc)
        return api_exception(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "The database is unavailable; nothing was stored. Try again shortly.",
            "database_unavailable",
        )
    for kind, status_code, code in DOMAIN_ERRORS:
        if isinstance(exc, kind):
            return api_exception(status_code, str(exc), code or exc.code)
    return None


def error_for(exc: Exception) -> dict[str, str]:
    """Return the `{"detail", "code"}` body a domain or validation error answers with,
    for an error that fails one part of a request alone (one image of a batch)."""
    _, error = first_error((domain_error(exc) or exc).detail)
    return error_body(str(error), error.code)


def api_exception(status_code: int, detail: str, code: str) -> APIException:
    """Return an APIException with this status, message and code."""
    error = APIException(detail, code)
    error.status_code = status_code
    return error


def first_error(detail: object, path: tuple[str, ...] = ()) -> tuple[tuple[str, ...], ErrorDetail]:
    """Return the first message in DRF's nested error structure, with where it was."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            return first_error(value, (*path, str(key)))
    if isinstance(detail, list) and detail:
        return first_error(detail[0], path)
    return path, ErrorDetail(str(detail), getattr(detail, "code", "invalid"))


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """Return the JSON answer to any exception a view raised (None: a real bug, a 500)."""
    exc = domain_error(exc) or exc
    # Django's own exceptions, as DRF would convert them, so that they carry a code.
    if isinstance(exc, Http404):
        exc = NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = PermissionDenied(*exc.args)
    response = exception_handler(exc, context)
    if response is None:
        return None
    path, error = first_error(exc.detail)
    if isinstance(exc, ValidationError):
        fields = [part for part in path if part != "non_field_errors"]
        message = f"{'.'.join(fields)}: {error}" if fields else str(error)
        response.data = {**error_body(message, error.code), "errors": exc.detail}
    else:
        response.data = error_body(str(error), error.code)
    for name, value in retry_headers(response.status_code).items():
        response.headers.setdefault(name, value)
    return response
