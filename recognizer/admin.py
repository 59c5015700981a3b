import base64
import io

import numpy as np
from django.contrib import admin
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from PIL import Image

from recognizer import services
from recognizer.admin_scale import DateHierarchyQuerySet, IndexedValuesFilter, QuickSelect
from recognizer.models import Prediction


class CorrectnessFilter(admin.SimpleListFilter):
    title = "guess was"
    parameter_name = "correct"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "right"), ("no", "wrong"), ("unknown", "not labelled")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(label=F("digit"))
        if self.value() == "no":
            return queryset.filter(Q(label__isnull=False) & ~Q(label=F("digit")))
        if self.value() == "unknown":
            return queryset.filter(label__isnull=True)
        return queryset


def features_data_uri(features: list[int]) -> str:
    """The 8x8 model input as a PNG data URI, ink dark on white like the drawing."""
    values = np.asarray(features, dtype=np.float64).reshape(8, 8)
    grey = (255 - np.clip(values, 0, 16) * 255 / 16).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(grey, "L").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


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
        ("model_version", IndexedValuesFilter),
        "source",
    ]
    date_hierarchy = "created_at"
    search_fields = ["=id", "=model_version"]  # see get_search_results
    list_per_page = 50
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
        return queryset.filter(model_version=term.lower()), False

    def get_changelist_form(self, request: HttpRequest, **kwargs):
        return super().get_changelist_form(request, widgets={"label": QuickSelect}, **kwargs)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # drawings arrive through the page and the API only

    @admin.display(description="drawing")
    def thumbnail(self, prediction: Prediction) -> str:
        return format_html(
            '<img class="drawing-thumbnail" src="{}" width="56" height="56" alt="drawing {}" '
            'loading="lazy">',
            prediction.drawing.url,
            prediction.pk,
        )

    @admin.display(description="drawing")
    def drawing_large(self, prediction: Prediction) -> str:
        return format_html(
            '<img class="drawing-large" src="{}" width="280" height="280" alt="drawing {}">',
            prediction.drawing.url,
            prediction.pk,
        )

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
            services.set_label(obj, obj.label)

    def delete_model(self, request: HttpRequest, obj: Prediction) -> None:
        services.delete_predictions(Prediction.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        services.delete_predictions(queryset)
