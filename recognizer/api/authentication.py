"""Session authentication that guards the drawing page's own session.

DRF checks CSRF only for logged-in users. Here a prediction made from the
page is tied to the browser's session (which later gives the right to
correct it), so every request that relies on the session cookie, anonymous
or not, must carry the CSRF token. Requests without the cookie (scripts,
curl) are plain anonymous API calls.
"""

from django.conf import settings
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request


def uses_session(request: Request) -> bool:
    """Whether the request relies on the browser session (its cookie or the page's token)."""
    return settings.SESSION_COOKIE_NAME in request.COOKIES or "HTTP_X_CSRFTOKEN" in request.META


class SessionCsrfAuthentication(SessionAuthentication):
    """Session authentication that checks CSRF for anonymous sessions too."""

    def authenticate(self, request: Request):
        if not uses_session(request):
            return None
        self.enforce_csrf(request)
        return super().authenticate(request)
