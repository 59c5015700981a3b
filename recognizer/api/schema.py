"""How drf-spectacular should describe our own API pieces."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class SessionCsrfScheme(OpenApiAuthenticationExtension):
    target_class = "recognizer.api.authentication.SessionCsrfAuthentication"
    name = "sessionAuth"

    def get_security_definition(self, auto_schema: object) -> dict:
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
