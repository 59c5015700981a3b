import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("recognizer.requests")

# The id of the request being answered, in every log record made meanwhile.
request_id: ContextVar[str] = ContextVar("request_id", default="-")
# An id a load balancer or client already gave the request is kept if it
# looks like one (letters, digits, dashes), so that logs of both can be joined.
GIVEN_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdFilter(logging.Filter):
    """Add `request_id` to each record: the id of the request it was made for, or "-"."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def new_request_id(request: HttpRequest) -> str:
    """Return the request's id: the X-Request-ID it came with if well-formed, else a new one."""
    given = request.headers.get("X-Request-ID", "")
    return given if GIVEN_ID.match(given) else uuid.uuid4().hex


class RequestLogMiddleware:
    """One log line per request: method, path, status, latency, and what it created.

    First in the chain, so the latency covers every other middleware. Each
    request gets an id, sent back in X-Request-ID and added to every log
    record made while answering it. A request that stored something names it
    by its Location header. The query string is left out (it is not ours to
    keep). The line is silenced by LOG_LEVEL=WARNING.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = request_id.set(new_request_id(request))
        try:
            response = self.timed_response(request)
            response.headers["X-Request-ID"] = request_id.get()
            return response
        finally:
            request_id.reset(token)

    def timed_response(self, request: HttpRequest) -> HttpResponse:
        """Return the response, logged with its status and latency when INFO is on."""
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
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(milliseconds, 1),
            },
        )
        return response
