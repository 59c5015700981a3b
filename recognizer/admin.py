import base64
import csv
import io
from collections.abc import Iterator

import numpy as np
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from PIL import Image

from recognizer import selectors, services
from recognizer.admin_scale import DateHierarchyQuerySet, IndexedValuesFilter
from recognizer.drawings import drawing_storage
from recognizer.models import DIGIT_CHOICES, Prediction


class CorrectnessFilter(admin.SimpleListFilter):
    title = "guess was"
    parameter_name = "correct"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "right"), ("no", "wrong"), ("unknown", "not labelled")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(selectors.CORRECT)
        if self.value() == "no":
            return queryset.filter(selectors.WRONG)
        if self.value() == "unknown":
            return queryset.filter(label__isnull=True)
        return queryset


class ModelVersionFilter(IndexedValuesFilter):
    """Each model version that made predictions; one chosen is listed quickly."""

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        versions = self.used_parameters.get(self.lookup_kwarg) or []
        if len(versions) != 1:
            return super().queryset(request, queryset)  # none, or Django's own handling
        return selectors.of_model_version(queryset, versions[0])


def features_data_uri(features: list[int]) -> str:
    """The 8x8 model input as a PNG data URI, ink dark on white like the drawing."""
    values = np.asarray(features, dtype=np.float64).reshape(8, 8)
    grey = (255 - np.clip(values, 0, 16) * 255 / 16).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(grey, "L").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


class LabelActionForm(helpers.ActionForm):
    """The admin's action bar, with the digit that "set label to" applies."""

    label = forms.TypedChoiceField(
        label="digit",
        choices=[("", "—"), *DIGIT_CHOICES],
        coerce=int,
        empty_value=None,
        required=False,
    )


class Echo:
    """A file-like object whose write returns the line, to stream a CSV."""

    def write(self, value: str) -> str:
        return value


CSV_HEADER = ["id", "created_at", "guess", "confidence", "label", "model_version", "drawing_url"]


def csv_lines(request: HttpRequest, predictions: QuerySet) -> Iterator[str]:
    writer = csv.writer(Echo())
    yield writer.writerow(CSV_HEADER)
    rows = predictions.values_list(
        "id", "created_at", "digit", "confidence", "label", "model_version", "drawing"
    )
    storage = drawing_storage()
    for pk, created_at, digit, confidence, label, version, drawing in rows.iterator():
        yield writer.writerow(
            [
                pk,
                created_at.isoformat(),
                digit,
                f"{confidence:.4f}",
                "" if label is None else label,
                version,
                request.build_absolute_uri(storage.url(drawing)),
            ]
        )


def heat_level(count: int, total: int) -> int:
    """0..10: the share of a true digit's drawings that fall in one cell."""
    return round(10 * count / total) if total else 0


def day_bar(index: int, day: object, count: int, busiest: int) -> dict:
    """One bar of the per-day chart, in a viewBox 10 units wide per day, 100 high."""
    height = round(100 * count / busiest) if busiest else 0
    return {"x": 10 * index + 1, "y": 100 - height, "height": height, "day": day, "count": count}


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
            self.admin_site.admin_view(self.statistics_view),
            name="recognizer_prediction_statistics",
        )
        return [statistics, *super().get_urls()]

    def statistics_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        stats = selectors.history_statistics()
        columns = [row.labelled for row in stats.by_digit]
        confusion_rows = [
            (
                guess,
                [
                    (truth, count, heat_level(count, columns[truth]), guess == truth)
                    for truth, count in enumerate(counts)
                ],
            )
            for guess, counts in enumerate(stats.confusion)
        ]
        busiest = max((count for _, count in stats.per_day), default=0)
        context = {
            **self.admin_site.each_context(request),
            "title": "Statistics",
            "opts": self.model._meta,
            "stats": stats,
            "confusion_rows": confusion_rows,
            "day_bars": [
                day_bar(index, day, count, busiest)
                for index, (day, count) in enumerate(stats.per_day)
            ],
            "chart_width": 10 * len(stats.per_day),
            "busiest_day": busiest,
        }
        return TemplateResponse(request, "admin/recognizer/prediction/statistics.html", context)

    def delete_model(self, request: HttpRequest, obj: Prediction) -> None:
        services.predictions_delete(predictions=Prediction.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        services.predictions_delete(predictions=queryset)
