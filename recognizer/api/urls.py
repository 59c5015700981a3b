from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.urls import path
from drf_spectacular import renderers
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from recognizer.api import history, jobs, recognition

DOCS_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'"
)

app_name = "api"


def content_security_policy(policy: str) -> Callable:
    """Return a view decorator that sends its own policy (the site's middleware sends
    the strict one to every response that has none)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def view_with_policy(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            response = view(request, *args, **kwargs)
            response.headers["Content-Security-Policy"] = policy
            return response

        return view_with_policy

    return decorate


urlpatterns = [
    path("predict/", recognition.PredictView.as_view(), name="predict"),
    path("predict", recognition.TutorialPredictView.as_view(), name="predict-tutorial"),
    path("predict/batch/", recognition.PredictBatchView.as_view(), name="predict-batch"),
    path("predictions/", history.PredictionListView.as_view(), name="prediction-list"),
    path("predictions/<int:pk>/", history.PredictionDetailView.as_view(), name="prediction-detail"),
    path(
        "predictions/<int:pk>/feedback/", history.FeedbackView.as_view(), name="prediction-feedback"
    ),
    path("model/", recognition.ModelInfoView.as_view(), name="model"),
    path("jobs/", jobs.JobListView.as_view(), name="job-list"),
    path("jobs/<int:pk>/", jobs.JobDetailView.as_view(), name="job-detail"),
    path("jobs/<int:pk>/cancel/", jobs.JobCancelView.as_view(), name="job-cancel"),
    path("jobs/<int:pk>/file/", jobs.JobFileView.as_view(), name="job-file"),
    # YAML by default; ?format=json as plain JSON, which browsers show.
    path(
        "schema/",
        SpectacularAPIView.as_view(
            renderer_classes=[
                renderers.OpenApiYamlRenderer,
                renderers.OpenApiYamlRenderer2,
                renderers.OpenApiJsonRenderer2,
                renderers.OpenApiJsonRenderer,
            ]
        ),
        name="schema",
    ),
    # The split view serves its start-up script as a file, so no inline script
    # runs; Swagger UI does set inline styles, which this page alone allows.
    path(
        "docs/",
        content_security_policy(DOCS_POLICY)(
            SpectacularSwaggerSplitView.as_view(url_name="api:schema")
        ),
        name="docs",
    ),
]
