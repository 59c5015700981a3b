from django.urls import path, re_path

from recognizer import scrape, views

app_name = "recognizer"

urlpatterns = [
    path("", views.index, name="index"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", scrape.metrics, name="metrics"),
    re_path(
        r"^media/(?P<name>drawings/[\w/-]+\.png)$", views.DrawingFileView.as_view(), name="drawing"
    ),
]
