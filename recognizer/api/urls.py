from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from recognizer.api import views

app_name = "api"

urlpatterns = [
    path("predict/", views.PredictView.as_view(), name="predict"),
    path("predict", views.TutorialPredictView.as_view(), name="predict-tutorial"),
    path("predictions/", views.PredictionListView.as_view(), name="prediction-list"),
    path("predictions/<int:pk>/", views.PredictionDetailView.as_view(), name="prediction-detail"),
    path(
        "predictions/<int:pk>/feedback/", views.FeedbackView.as_view(), name="prediction-feedback"
    ),
    path("model/", views.ModelInfoView.as_view(), name="model"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
