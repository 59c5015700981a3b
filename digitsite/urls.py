from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("recognizer.api.urls")),
    path("", include("recognizer.urls")),
]

handler404 = "recognizer.views.not_found"
handler500 = "recognizer.views.server_error"
