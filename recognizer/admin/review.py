"""The queue of drawings to review: nobody has labelled them; those the model refused as no
digit first, then the least certain guess first, so that a reviewer's minutes go where the
model is least sure."""

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_permission_codename
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.urls import URLPattern
from django.utils.html import format_html

from recognizer.admin.predictions import PredictionAdmin
from recognizer.models import Prediction, PredictionToReview
from recognizer.templatetags.recognizer_format import probability

# Below this confidence the drawing page asks rather than answers ("Not sure — is it
# a 4 or a 9?"); the queue gives the same doubt as its reason.
SURE_ENOUGH = 0.6
# Refused drawings first (rows from before models could refuse, null, with the others).
QUEUE_ORDERING = [F("not_a_digit").desc(nulls_last=True), "margin", "id"]


class QueueChangeList(ChangeList):
    def get_ordering(self, request: HttpRequest, queryset: QuerySet) -> list[str]:
        # The queue's order whatever the query string says.
        return QUEUE_ORDERING


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
        "reason",
        "label",
        "short_model_version",
        "created",
    ]
    list_filter = ["digit", "source"]
    date_hierarchy = None
    actions = ["mark_guess_right", "set_label", "mark_not_a_digit"]

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

    @admin.display(description="why first")
    def reason(self, prediction: Prediction) -> str:
        """Return why the drawing is worth a look: refused as no digit, or a doubt
        between its two likeliest digits."""
        if prediction.not_a_digit:
            return "not a digit?"
        if prediction.confidence < SURE_ENOUGH:
            first, second = sorted(range(10), key=prediction.probabilities.__getitem__)[:-3:-1]
            return f"{first} or {second}?"
        return ""

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        title = (
            "Drawings to review: nobody has labelled them; refused as no digit first, "
            "then least certain guess first"
        )
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
