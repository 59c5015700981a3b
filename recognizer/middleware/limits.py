from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from recognizer.errors import error_response

BATCH_VIEW = "api:predict-batch"


class RequestSizeLimitMiddleware:
    """Refuse a body larger than MAX_REQUEST_BYTES (MAX_BATCH_REQUEST_BYTES for a
    batch of drawings) before anything reads it.

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
        if length <= min(settings.MAX_REQUEST_BYTES, settings.MAX_BATCH_REQUEST_BYTES):
            return self.get_response(request)  # the usual case, decided without the URL
        limit = (
            settings.MAX_BATCH_REQUEST_BYTES if is_batch(request) else settings.MAX_REQUEST_BYTES
        )
        if length > limit:
            message = f"The request body is {length} bytes; at most {limit} bytes are accepted."
            if request.path.startswith("/api/"):
                return error_response(message, "too_large", status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def is_batch(request: HttpRequest) -> bool:
    """Whether the request is for the batch endpoint, whose body holds many drawings."""
    try:
        return resolve(request.path_info).view_name == BATCH_VIEW
    except Resolver404:
        return False
