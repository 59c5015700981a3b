import logging
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)


class RequestSizeLimitMiddleware:
    """Refuse a body larger than MAX_REQUEST_BYTES before anything reads it.

    Django enforces its own upload limits only on some ways of reading a
    body (DRF's parsers read the stream directly), so the declared length is
    checked here, first, for every request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.MAX_REQUEST_BYTES
        if length > limit:
            message = f"The request body is {length} bytes; at most {limit} bytes are accepted."
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message, "code": "too_large"}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Send CONTENT_SECURITY_POLICY on every response that has none.

    Only our own scripts and styles run; images may also be data: URIs (the
    admin draws the model's 8x8 input as one).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY:
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


def content_security_policy(policy: str) -> Callable:
    """A view decorator for the few pages that need a policy of their own."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def view_with_policy(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            response = view(request, *args, **kwargs)
            response.headers["Content-Security-Policy"] = policy
            return response

        return view_with_policy

    return decorate


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
        response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = "5"
        return response


request_logger = logging.getLogger("recognizer.requests")


def note_prediction(request: HttpRequest, prediction_id: int) -> None:
    """Name the prediction a request stored, for its log line."""
    request.prediction_id = prediction_id


class RequestLogMiddleware:
    """One log line per request: method, path, status, latency, prediction id.

    First in the chain, so the latency covers every other middleware. The
    query string is left out (it is not ours to keep). Silenced, and then
    nearly free, by LOG_LEVEL=WARNING.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request_logger.isEnabledFor(logging.INFO):
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        milliseconds = (time.perf_counter() - started) * 1000
        prediction_id = getattr(request, "prediction_id", None)
        request_logger.info(
            "%s %s %d %.1fms%s",
            request.method,
            request.path,
            response.status_code,
            milliseconds,
            "" if prediction_id is None else f" prediction={prediction_id}",
        )
        return response
