import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


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
