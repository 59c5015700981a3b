from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from recognizer.errors import error_response


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
                return error_response(message, "too_large", status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
