"""The drawing page, stored drawings, and the health endpoints."""

import os

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe

from recognizer.inference import get_model_service
from recognizer.ml.serving import ModelUnavailable
from recognizer.models import Prediction


@require_safe
@ensure_csrf_cookie
def index(request: HttpRequest) -> HttpResponse:
    # The page's drawings belong to this session (it may later correct them).
    if request.session.session_key is None:
        request.session.create()
    return render(request, "recognizer/index.html", {"max_image_bytes": settings.MAX_IMAGE_BYTES})


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
    """Readiness: the database answers and a model is loaded.

    The model check also says which worker process answered and how many
    times that process has loaded a model (1 unless a new version was
    activated since it started): the way to see that models are loaded once
    per process, not per request.
    """
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"status": "ok"}
    except DatabaseError as error:
        checks["database"] = {"status": "error", "detail": str(error)}
    service = get_model_service()
    try:
        model = service.current()
        checks["model"] = {
            "status": "ok",
            "version": model.version,
            "loads": service.loads,
            "process": os.getpid(),
        }
    except ModelUnavailable as error:
        checks["model"] = {"status": "error", "detail": str(error)}
    ready = all(check["status"] == "ok" for check in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )
