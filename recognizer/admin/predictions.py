import base64
import io
from functools import partial

import numpy as np
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from PIL import Image

from recognizer import selectors, services
from recognizer.admin.export import csv_lines
from recognizer.admin.filters import ChallengerFilter, CorrectnessFilter, ModelVersionFilter
from recognizer.admin.scale import DateHierarchyQuerySet
from recognizer.admin.statistics import statistics_view
from recognizer.models import DIGIT_CHOICES, Prediction


def features_data_uri(features: list[int]) -> str:
    """Return the 8x8 model input as a PNG data URI, ink dark on white like the drawing."""
    values = np.asarray(features, dtype=np.float64).reshape(8, 8)
    grey = (255 - np.clip(values, 0, 16) * 255 / 16).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(grey, "L").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def drawing_image(prediction: Prediction, css_class: str, size: int) -> str:
    """Return the <img> of a stored drawing, shown `size` pixels square."""
    return format_html(
        '<img class="{}" src="{}" width="{}" height="{}" alt="drawing {}" loading="lazy">',
        css_class,
        prediction.drawing_url,
        size,
        size,
        prediction.pk,
    )


class LabelActionForm(helpers.ActionForm):
    """The admin's action bar, with the digit that "set label to" applies."""

    label = forms.TypedChoiceField(
        label="digit",
        choices=[("", "—"), *DIGIT_CHOICES],
        coerce=int,
        empty_value=None,
        required=False,
    )


@admin.register(Prediction)
class PredictionAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "thumbnail",
        "digit",
        "confidence_percent",
        "label",
        "model_version",
        "source",
        "created_at",
    ]
    list_display_links = ["id", "thumbnail"]
    list_editable = ["label"]
    list_filter = [
        "digit",
        "label",
        CorrectnessFilter,
        ("model_version", ModelVersionFilter),
        ChallengerFilter,
        "source",
    ]
    date_hierarchy = "created_at"
    search_fields = ["=id", "=model_version"]  # see get_search_results
    list_per_page = 50
    action_form = LabelActionForm
    actions = ["mark_guess_right", "set_label", "clear_label", "export_csv"]
    # At millions of rows, a count of the whole table beside every filtered
    # count, and per-value counts of every filter (facets), each cost a pass
    # over the rows. The filtered count alone is kept, for the pages.
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    readonly_fields = [
        "drawing_large",
        "features_image",
        "digit",
        "confidence_percent",
        "probability_table",
        "model_version",
        "created_at",
        "source",
        "labelled_at",
    ]
    fieldsets = [
        (None, {"fields": ["drawing_large", "features_image"]}),
        (
            "Guess",
            {"fields": ["digit", "confidence_percent", "probability_table", "model_version"]},
        ),
        ("Truth", {"fields": ["label", "labelled_at"]}),
        ("Origin", {"fields": ["created_at", "source"]}),
    ]

    class Media:
        css = {"all": ["recognizer/css/admin.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        # Its datetimes() lists the date hierarchy's years, months or days by index lookups.
        return DateHierarchyQuerySet(self.model, query=queryset.query.chain(), using=queryset.db)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        """A drawing's number or a model version, each found through its index.

        Django's own search ORs every field for every term, which no index
        serves: at a million rows, a scan of the table.
        """
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.isdigit() and len(term) < 12:  # versions are 12 hex digits
            return queryset.filter(pk=int(term)), False
        return selectors.of_model_version(queryset, term.lower()), False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # drawings arrive through the page and the API only

    @admin.display(description="drawing")
    def thumbnail(self, prediction: Prediction) -> str:
        return drawing_image(prediction, "drawing-thumbnail", 56)

    @admin.display(description="drawing")
    def drawing_large(self, prediction: Prediction) -> str:
        return drawing_image(prediction, "drawing-large", 280)

    @admin.display(description="what the model saw (8x8)")
    def features_image(self, prediction: Prediction) -> str:
        return format_html(
            '<img class="digit-features" src="{}" width="160" height="160" '
            'alt="the 8x8 model input, enlarged">',
            features_data_uri(prediction.features),
        )

    @admin.display(description="confidence", ordering="confidence")
    def confidence_percent(self, prediction: Prediction) -> str:
        return f"{prediction.confidence:.0%}"

    @admin.display(description="probabilities")
    def probability_table(self, prediction: Prediction) -> str:
        return format_html(
            '<table class="digit-probabilities"><tr>{}</tr><tr>{}</tr></table>',
            format_html_join("", "<th>{}</th>", ((digit,) for digit in range(10))),
            format_html_join("", "<td>{}</td>", ((f"{p:.1%}",) for p in prediction.probabilities)),
        )

    def save_model(self, request: HttpRequest, obj: Prediction, form, change: bool) -> None:
        if "label" in form.changed_data:
            services.prediction_label(
                prediction=obj,
                label=obj.label,
                source=Prediction.LabelSource.STAFF,
                user=request.user,
            )

    @admin.action(description="The guess was right (label = guess)", permissions=["change"])
    def mark_guess_right(self, request: HttpRequest, queryset: QuerySet) -> None:
        changed = services.predictions_label(predictions=queryset, label="guess", user=request.user)
        self.message_user(request, f"{changed} drawings labelled with their guess.")

    @admin.action(description="Set label to the digit chosen", permissions=["change"])
    def set_label(self, request: HttpRequest, queryset: QuerySet) -> None:
        try:
            label = LabelActionForm.base_fields["label"].clean(request.POST.get("label", ""))
        except ValidationError:
            label = None
        if label is None:
            self.message_user(
                request, "Choose the digit next to the action, then run it again.", messages.ERROR
            )
            return
        changed = services.predictions_label(predictions=queryset, label=label, user=request.user)
        self.message_user(request, f"{changed} drawings labelled {label}.")

    @admin.action(description="Clear the label", permissions=["change"])
    def clear_label(self, request: HttpRequest, queryset: QuerySet) -> None:
        changed = services.predictions_label(predictions=queryset, label=None, user=request.user)
        self.message_user(request, f"Label cleared on {changed} drawings.")

    @admin.action(description="Export selected as CSV", permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet) -> StreamingHttpResponse:
        filename = f"predictions-{timezone.now():%Y%m%d-%H%M%S}.csv"
        return StreamingHttpResponse(
            csv_lines(request, queryset.order_by("-created_at", "-id")),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    def get_urls(self) -> list[URLPattern]:
        statistics = path(
            "statistics/",
            self.admin_site.admin_view(partial(statistics_view, self)),
            name="recognizer_prediction_statistics",
        )
        return [statistics, *super().get_urls()]

    def delete_model(self, request: HttpRequest, obj: Prediction) -> None:
        services.predictions_delete(predictions=Prediction.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        services.predictions_delete(predictions=queryset)
