"""The drawing page, stored drawings, and the health endpoints."""

from django.db import DatabaseError, connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe

from recognizer import selectors
from recognizer.inference import get_model_service
from recognizer.ml.serving import ModelUnavailable
from recognizer.models import Prediction

RECENT_DRAWINGS = 12
# Stroke widths in the units of the 280-pixel canvas the model's input is made from.
PEN_WIDTHS = (("Thin", 11), ("Medium", 18), ("Thick", 26))
DEFAULT_PEN_WIDTH = 18


@require_safe
@ensure_csrf_cookie
def index(request: HttpRequest) -> HttpResponse:
    # The page's drawings belong to this session (it may later correct them).
    if request.session.session_key is None:
        request.session.create()
    recent = selectors.recent_predictions(request.session.session_key, RECENT_DRAWINGS)
    return render(
        request,
        "recognizer/index.html",
        {
            "recent_predictions": recent,
            "recent_limit": RECENT_DRAWINGS,
            "pen_widths": PEN_WIDTHS,
            "default_pen_width": DEFAULT_PEN_WIDTH,
        },
    )


@require_safe
def drawing_file(request: HttpRequest, name: str) -> FileResponse:
    """A stored drawing, for staff or for the session that drew it.

    Anyone else gets a 404, which does not tell whether the drawing exists.
    """
    prediction = Prediction.objects.filter(drawing=name).only("drawing", "session_key").first()
    if prediction is None:
        raise Http404("No such drawing.")
    session_key = request.session.session_key
    is_owner = bool(session_key) and session_key == prediction.session_key
    if not (request.user.is_staff or is_owner):
        raise Http404("No such drawing.")
    try:
        file = prediction.drawing.open("rb")
    except FileNotFoundError:
        raise Http404("The drawing's file is missing.") from None
    # Our own re-encoded PNG, so the type is known; never sniffed.
    response = FileResponse(file, content_type="image/png")
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database answers and a model is loaded."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"status": "ok"}
    except DatabaseError as error:
        checks["database"] = {"status": "error", "detail": str(error)}
    try:
        model = get_model_service().current()
        checks["model"] = {"status": "ok", "version": model.version}
    except ModelUnavailable as error:
        checks["model"] = {"status": "error", "detail": str(error)}
    ready = all(check["status"] == "ok" for check in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )
