"""API errors: one JSON shape, `{"detail": ..., "code": ...}`, for every failure.

Validation errors keep DRF's per-field messages under `errors` as well, and
failures of the database become 503 (try again) rather than 500.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
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

logger = logging.getLogger(__name__)


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request is too large."
    default_code = "too_large"


class UnsupportedImageType(APIException):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    default_detail = "The image must be PNG, JPEG or WebP."
    default_code = "unsupported_image_type"


class ServiceUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service is unavailable; try again shortly."
    default_code = "unavailable"


def first_error(detail: object, path: tuple[str, ...] = ()) -> tuple[tuple[str, ...], ErrorDetail]:
    """The first message in DRF's nested error structure, with where it was."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            return first_error(value, (*path, str(key)))
    if isinstance(detail, list) and detail:
        return first_error(detail[0], path)
    return path, ErrorDetail(str(detail), getattr(detail, "code", "invalid"))


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, (OperationalError, InterfaceError)):
        logger.error("database unavailable: %s", exc)
        exc = ServiceUnavailable(
            "The database is unavailable; nothing was stored. Try again shortly.",
            code="database_unavailable",
        )
    # Django's own exceptions, as DRF would convert them, so that they carry a code.
    if isinstance(exc, Http404):
        exc = NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = PermissionDenied(*exc.args)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        path, error = first_error(exc.detail)
        fields = [part for part in path if part != "non_field_errors"]
        message = f"{'.'.join(fields)}: {error}" if fields else str(error)
        response.data = {"detail": message, "code": error.code, "errors": exc.detail}
    else:
        _, error = first_error(exc.detail)
        response.data = {"detail": str(error), "code": error.code}
    return response
