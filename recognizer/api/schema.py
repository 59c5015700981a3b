"""How drf-spectacular should describe our own API pieces: error answers, examples,
authentication."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse

from recognizer.api.serializers import ErrorSerializer

ERROR_RESPONSES = {
    400: OpenApiResponse(ErrorSerializer, description="The request or the image is invalid."),
    401: OpenApiResponse(ErrorSerializer, description="Authentication is needed (staff)."),
    403: OpenApiResponse(ErrorSerializer, description="Not allowed, or the CSRF check failed."),
    404: OpenApiResponse(ErrorSerializer, description="No such prediction."),
    413: OpenApiResponse(ErrorSerializer, description="The body or the image is too large."),
    415: OpenApiResponse(ErrorSerializer, description="Not JSON/multipart, or not PNG/JPEG/WebP."),
    429: OpenApiResponse(ErrorSerializer, description="Too many requests; see Retry-After."),
    503: OpenApiResponse(
        ErrorSerializer,
        description="No model is ready, the drawing could not be stored, or the database is "
        "down; see Retry-After.",
    ),
}
# A complete drawing of a 7 (28x28 PNG), so that "Try it out" in the docs works.
EXAMPLE_DRAWING = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAABwAAAAcCAAAAABXZoBIAAAAyElEQVR42oWSMQ7CMAxFbdw"
    "jMDBxCDaQb8+AunAIljBwAzf+DKnSuAniL5by8hxFNoN+ZyoF8Q5zKX9N8PIJp8cJXBrCPamEaHIHcBj2exDXN8HL8/yq"
    "6EbX+zKtbXeZRRIyAKzQ8xozU1EYGlhjmEWS5yHMvol7aJhFZh/DjEbcwSL+hCpavtFB8yDuIFTUqxhg9hTEAA0qapvY"
    "wk5sYRHdR9A7sRl25hfRBdIOvYroxMYEEZ2juK0m+E2nsnQ9LBdGG782joy+Pay/1hzbtpAAAAAASUVORK5CYII="
)


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """Return the documented error answers with these statuses."""
    return {code: ERROR_RESPONSES[code] for code in codes}


class SessionCsrfScheme(OpenApiAuthenticationExtension):
    target_class = "recognizer.api.authentication.SessionCsrfAuthentication"
    name = "sessionAuth"

    def get_security_definition(self, auto_schema: object) -> dict:
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
