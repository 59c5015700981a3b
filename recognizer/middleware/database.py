import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from recognizer.errors import error_response, retry_headers

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    """A database that is down or locked is a 503 (try again), not a 500.

    The API has its own handler; this covers the page, the admin and health.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.error("database unavailable on %s: %s", request.path, exception)
        message = "The database is unavailable; nothing was changed. Try again shortly."
        if request.path.startswith("/api/"):
            return error_response(message, "database_unavailable", status=503)
        return HttpResponse(
            message,
            status=503,
            content_type="text/plain; charset=utf-8",
            headers=retry_headers(503),
        )
