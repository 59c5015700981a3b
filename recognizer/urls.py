from django.urls import path, re_path

from recognizer.api.drawings import DrawingFileView
from recognizer.web import metrics, views

app_name = "recognizer"

urlpatterns = [
    path("", views.index, name="index"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    re_path(r"^media/(?P<name>drawings/[\w/-]+\.png)$", DrawingFileView.as_view(), name="drawing"),
]
