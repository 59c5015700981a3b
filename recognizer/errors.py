"""The one shape of every error answer: `{"detail": ..., "code": ...}`.

The API's exception handler, the middleware and the 404/500 handlers all
build it here, and every 503 says when to try again.
"""

from django.http import JsonResponse

RETRY_AFTER_SECONDS = 5


def error_body(detail: str, code: str) -> dict[str, str]:
    """Return the JSON body of an error: what was wrong, for a person, and a stable code."""
    return {"detail": detail, "code": code}


def retry_headers(status: int) -> dict[str, str]:
    """Return the headers an error answer with this status needs: Retry-After on a 503."""
    return {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else {}


def error_response(detail: str, code: str, *, status: int) -> JsonResponse:
    """Return a JSON error answer for code outside DRF (middleware, 404 and 500 pages)."""
    return JsonResponse(error_body(detail, code), status=status, headers=retry_headers(status))
