"""The queue of drawings to review: nobody has labelled them, least certain guess first,
so that a reviewer's minutes go where the model is least sure."""

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_permission_codename
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import URLPattern
from django.utils.html import format_html

from recognizer.admin.predictions import PredictionAdmin
from recognizer.models import Prediction, PredictionToReview
from recognizer.templatetags.recognizer_format import probability


class QueueChangeList(ChangeList):
    def get_ordering(self, request: HttpRequest, queryset: QuerySet) -> list[str]:
        # The queue's order whatever the query string says: the one the index
        # on (margin, id) gives page by page.
        return ["margin", "id"]


@admin.register(PredictionToReview)
class PredictionToReviewAdmin(PredictionAdmin):
    """The predictions' own list and labelling, on the unlabelled ones by margin.

    A drawing leaves the queue as soon as it has a label; the next page
    then starts with the next least certain ones.
    """

    list_display = [
        "id",
        "thumbnail",
        "guess",
        "runner_up",
        "label",
        "short_model_version",
        "created",
    ]
    list_filter = ["digit", "source"]
    date_hierarchy = None
    actions = ["mark_guess_right", "set_label"]

    def get_changelist(self, request: HttpRequest, **kwargs: object) -> type[ChangeList]:
        return QueueChangeList

    def get_sortable_by(self, request: HttpRequest) -> list[str]:
        return []

    def get_urls(self) -> list[URLPattern]:
        return admin.ModelAdmin.get_urls(self)  # the statistics page belongs to the predictions

    @admin.display(description="second guess")
    def runner_up(self, prediction: Prediction) -> str:
        """Return the second likeliest digit with its probability."""
        second = sorted(range(10), key=prediction.probabilities.__getitem__)[-2]
        at = probability(prediction.probabilities[second])
        return format_html("{} <small>at {}</small>", second, at)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        title = "Drawings to review: nobody has labelled them, least certain guess first"
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    # The queue is a view of the predictions: their permissions govern it.
    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return self.has_prediction_permission(request, "view") or self.has_change_permission(
            request, obj
        )

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return self.has_prediction_permission(request, "change")

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return self.has_prediction_permission(request, "delete")

    def has_prediction_permission(self, request: HttpRequest, action: str) -> bool:
        opts = Prediction._meta
        return request.user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}")
