import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("recognizer.requests")


class RequestLogMiddleware:
    """One log line per request: method, path, status, latency, and what it created.

    First in the chain, so the latency covers every other middleware. A
    request that stored something names it by its Location header. The query
    string is left out (it is not ours to keep). Silenced, and then nearly
    free, by LOG_LEVEL=WARNING.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not logger.isEnabledFor(logging.INFO):
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        milliseconds = (time.perf_counter() - started) * 1000
        created = response.headers.get("Location") if response.status_code == 201 else None
        logger.info(
            "%s %s %d %.1fms%s",
            request.method,
            request.path,
            response.status_code,
            milliseconds,
            "" if created is None else f" created {created}",
        )
        return response
