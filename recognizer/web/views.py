"""The drawing page, the health endpoints, and the site's own 404 and 500 answers."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe
from django.views.defaults import page_not_found
from django.views.defaults import server_error as default_server_error

from recognizer.errors import error_response, retry_headers
from recognizer.history.selectors import session_predictions
from recognizer.models import NOT_A_DIGIT
from recognizer.monitoring import health
from recognizer.registry.selectors import model_version_in_service

RECENT_DRAWINGS = 12
# Stroke widths in the units of the 280-pixel canvas the model's input is made from.
PEN_WIDTHS = (("Thin", 11), ("Medium", 18), ("Thick", 26))
DEFAULT_PEN_WIDTH = 18
QUICK_MODEL_NOTE = (
    "A quick model, trained in seconds, is guessing while a better one trains; "
    "this page says when the better one takes over."
)


@require_safe
@ensure_csrf_cookie
def index(request: HttpRequest) -> HttpResponse:
    # The page's drawings belong to this session (it may later correct them).
    if request.session.session_key is None:
        request.session.create()
    recent = session_predictions(session_key=request.session.session_key, limit=RECENT_DRAWINGS)
    model = model_version_in_service()
    fast = bool(model and model.metadata.get("fast"))
    return render(
        request,
        "recognizer/index.html",
        {
            "recent_predictions": recent,
            "not_a_digit": NOT_A_DIGIT,
            # The page fills in the id of the prediction it corrects or takes back.
            "feedback_url": reverse("api:prediction-feedback", args=[0]).replace("/0/", "/{id}/"),
            "prediction_url": reverse("api:prediction-detail", args=[0]).replace("/0/", "/{id}/"),
            "model_version": model.version if model else "",
            "model_fast": fast,
            "model_note": QUICK_MODEL_NOTE if fast else "",
            "recent_limit": RECENT_DRAWINGS,
            "pen_widths": PEN_WIDTHS,
            "default_pen_width": DEFAULT_PEN_WIDTH,
        },
    )


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: a prediction can be served. A 503 names the component that fails; a
    cache outage alone is "degraded" (predictions are served, not throttled)."""
    status, checks = health.readiness()
    if status == "unavailable":
        return JsonResponse(
            {"status": status, "checks": checks}, status=503, headers=retry_headers(503)
        )
    return JsonResponse({"status": status, "checks": checks})


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404s: JSON under /api/, the usual page elsewhere."""
    if request.path.startswith("/api/"):
        return error_response("Not found.", "not_found", status=404)
    return page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """500s: JSON under /api/, the usual page elsewhere."""
    if request.path.startswith("/api/"):
        return error_response("Internal error; it was logged.", "server_error", status=500)
    return default_server_error(request)
