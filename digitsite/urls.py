from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("recognizer.api.urls")),
    path("", include("recognizer.urls")),
]

handler404 = "recognizer.web.views.not_found"
handler500 = "recognizer.web.views.server_error"
