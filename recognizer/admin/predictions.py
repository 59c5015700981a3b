from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import ngettext

from recognizer.admin import displays, navigation
from recognizer.admin import jobs as jobs_admin
from recognizer.admin.csv_download import csv_lines
from recognizer.admin.filters import ChallengerFilter, CorrectnessFilter, ModelVersionFilter
from recognizer.admin.scale import DateHierarchyQuerySet
from recognizer.admin.statistics import statistics_view
from recognizer.history import selectors, services
from recognizer.models import LABEL_CHOICES, NOT_A_DIGIT, Prediction
from recognizer.templatetags.recognizer_format import probability


class LabelActionForm(helpers.ActionForm):
    """The admin's action bar, with the label that "set label to" applies."""

    label = forms.TypedChoiceField(
        label="label",
        choices=[("", "—"), *LABEL_CHOICES],
        coerce=int,
        empty_value=None,
        required=False,
    )


@admin.register(Prediction)
class PredictionAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "thumbnail",
        "guess",
        "right",
        "label",
        "short_model_version",
        "created",
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
    actions = [
        *("mark_guess_right", "set_label", "mark_not_a_digit", "clear_label"),
        *("download_csv", "export_data_set"),
    ]
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
        "labeller",
        "labelled_by",
        "label_history",
        "challenger",
        "challenger_version",
    ]
    # The drawing and its label first: a reviewer sees both without scrolling.
    fieldsets = [
        (
            None,
            {
                "fields": [("drawing_large", "features_image"), "label"],
                "description": "Keys: 0–9 label this drawing and open the next in the list, "
                "X says it is no digit, Y says the guess was right, N and P open the next "
                "and previous.",
            },
        ),
        (
            "Guess",
            {"fields": ["digit", "confidence_percent", "probability_table", "model_version"]},
        ),
        ("Labelled", {"fields": ["labelled_at", "labeller", "labelled_by", "label_history"]}),
        ("Origin", {"fields": ["created_at", "source"]}),
    ]

    class Media:
        css = {"all": ["recognizer/css/admin.css"]}
        js = ["recognizer/js/review.js"]

    def get_list_display(self, request: HttpRequest) -> list[str]:
        """Filtered by the challenger's guesses, the list shows them beside the served ones."""
        if ChallengerFilter.parameter_name in request.GET:
            at = self.list_display.index("right")
            return [*self.list_display[:at], "challenger", *self.list_display[at:]]
        return self.list_display

    def get_fieldsets(self, request: HttpRequest, obj: Prediction | None = None) -> list:
        if obj is None or obj.challenger_guess is None:
            return self.fieldsets
        fields = ["challenger", "challenger_version"]
        shadow = ("Challenger, guessing in shadow", {"fields": fields})
        return [*self.fieldsets[:2], shadow, *self.fieldsets[2:]]

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
        return displays.drawing_image(prediction, "drawing-thumbnail", 36)

    @admin.display(description="drawing")
    def drawing_large(self, prediction: Prediction) -> str:
        return displays.drawing_image(prediction, "drawing-large", 280)

    @admin.display(description="what the model saw")
    def features_image(self, prediction: Prediction) -> str:
        return displays.features_image(prediction)

    @admin.display(description="confidence", ordering="confidence")
    def confidence_percent(self, prediction: Prediction) -> str:
        return probability(prediction.confidence)

    @admin.display(description="guess", ordering="confidence")
    def guess(self, prediction: Prediction) -> str:
        """Return the guessed digit and how sure of it the model was."""
        return format_html(
            "{} <small>at {}</small>", prediction.digit, probability(prediction.confidence)
        )

    @admin.display(description="challenger", empty_value="")
    def challenger(self, prediction: Prediction) -> str | None:
        guess = prediction.challenger_guess
        if guess is None:
            return None
        return format_html("{} <small>at {}</small>", guess.digit, probability(guess.confidence))

    @admin.display(description="✓/✗", empty_value="")
    def right(self, prediction: Prediction) -> str:
        return displays.verdict(prediction)

    @admin.display(description="created", ordering="created_at")
    def created(self, prediction: Prediction) -> str:
        return displays.moment(prediction.created_at)

    @admin.display(description="model", ordering="model_version")
    def short_model_version(self, prediction: Prediction) -> str:
        return displays.short_version(prediction.model_version)

    def formfield_for_choice_field(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "label":  # a narrow select in every row of the list
            kwargs["choices"] = [("", "–"), *LABEL_CHOICES]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    @admin.display(description="probabilities")
    def probability_table(self, prediction: Prediction) -> str:
        return format_html(
            '<table class="digit-probabilities"><tr>{}</tr><tr>{}</tr></table>',
            format_html_join("", "<th>{}</th>", ((digit,) for digit in range(10))),
            format_html_join(
                "", "<td>{}</td>", ((probability(p),) for p in prediction.probabilities)
            ),
        )

    @admin.display(description="every change")
    def label_history(self, prediction: Prediction) -> str:
        changes = prediction.label_changes.select_related("labelled_by")
        if not changes:
            return "–"
        return format_html(
            '<ol class="label-history">{}</ol>',
            format_html_join(
                "",
                "<li>{} · {} · {}</li>",
                (
                    (
                        "cleared" if change.label is None else change.label,
                        change.labelled_by or change.get_labeller_display(),
                        date_format(localtime(change.changed_at), "DATETIME_FORMAT"),
                    )
                    for change in changes
                ),
            ),
        )

    def save_model(self, request: HttpRequest, obj: Prediction, form, change: bool) -> None:
        if "label" in form.changed_data:
            services.prediction_label(
                prediction=obj,
                label=obj.label,
                labeller=Prediction.Labeller.STAFF,
                user=request.user,
            )

    @admin.action(description="The guess was right (label = guess)", permissions=["change"])
    def mark_guess_right(self, request: HttpRequest, queryset: QuerySet) -> None:
        changed = services.predictions_label(predictions=queryset, label="guess", user=request.user)
        message = drawings(changed, "labelled with its guess", "labelled with their guess")
        self.message_user(request, message)

    @admin.action(description="Not a digit (label = not a digit)", permissions=["change"])
    def mark_not_a_digit(self, request: HttpRequest, queryset: QuerySet) -> None:
        changed = services.predictions_label(
            predictions=queryset, label=NOT_A_DIGIT, user=request.user
        )
        self.message_user(request, drawings(changed, "labelled not a digit"))

    @admin.action(description="Set label to the one chosen", permissions=["change"])
    def set_label(self, request: HttpRequest, queryset: QuerySet) -> None:
        try:
            label = LabelActionForm.base_fields["label"].clean(request.POST.get("label", ""))
        except ValidationError:
            label = None
        if label is None:
            self.message_user(
                request,
                "Choose the digit next to the action (or Not a digit), then run it again.",
                messages.ERROR,
            )
            return
        changed = services.predictions_label(predictions=queryset, label=label, user=request.user)
        shown = "not a digit" if label == NOT_A_DIGIT else label
        self.message_user(request, drawings(changed, f"labelled {shown}"))

    @admin.action(description="Clear the label", permissions=["change"])
    def clear_label(self, request: HttpRequest, queryset: QuerySet) -> None:
        changed = services.predictions_label(predictions=queryset, label=None, user=request.user)
        self.message_user(request, drawings(changed, "no longer labelled"))

    @admin.action(description="Download the selected as CSV", permissions=["view"])
    def download_csv(self, request: HttpRequest, queryset: QuerySet) -> StreamingHttpResponse:
        filename = f"predictions-{timezone.now():%Y%m%d-%H%M%S}.csv"
        return StreamingHttpResponse(
            csv_lines(request, queryset.order_by("-created_at", "-id")),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    @admin.action(description="Export as a data set (labelled ones)", permissions=["export"])
    def export_data_set(self, request: HttpRequest, queryset: QuerySet) -> None:
        jobs_admin.export_drawings(self, request, queryset)

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("recognizer.add_job")

    def get_urls(self) -> list[URLPattern]:
        statistics = path(
            "statistics/",
            self.admin_site.admin_view(partial(statistics_view, self)),
            name="recognizer_prediction_statistics",
        )
        return [statistics, *super().get_urls()]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        near = navigation.Neighbours(None, None)
        if obj is not None:
            near = navigation.neighbours(self, request, obj)
        links = {
            "previous_url": self.change_url(request, near.previous),
            "next_url": self.change_url(request, near.next),
        }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **links})

    def response_change(self, request: HttpRequest, obj: Prediction) -> HttpResponse:
        """After "Save and label next", the next drawing of the list the reviewer came from."""
        if "_saveandnext" not in request.POST:
            return super().response_change(request, obj)
        shown = "not a digit" if obj.label == NOT_A_DIGIT else obj.label
        labelled = f"labelled {shown}" if obj.label is not None else "left unlabelled"
        following = self.change_url(request, navigation.neighbours(self, request, obj).next)
        if following is None:
            self.message_user(request, f"Drawing {obj.pk} {labelled}; it was the last in the list.")
            changelist = reverse("admin:recognizer_prediction_changelist")
            return HttpResponseRedirect(self.with_filters(request, changelist))
        self.message_user(request, f"Drawing {obj.pk} {labelled}.")
        return HttpResponseRedirect(following)

    def change_url(self, request: HttpRequest, pk: int | None) -> str | None:
        """Return the change page of a drawing, keeping the list's filters (None: none)."""
        if pk is None:
            return None
        url = reverse("admin:recognizer_prediction_change", args=[pk])
        return self.with_filters(request, url)

    def with_filters(self, request: HttpRequest, url: str) -> str:
        context = {"preserved_filters": self.get_preserved_filters(request), "opts": self.opts}
        return add_preserved_filters(context, url)

    def delete_model(self, request: HttpRequest, obj: Prediction) -> None:
        services.predictions_delete(predictions=Prediction.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        services.predictions_delete(predictions=queryset)


def drawings(count: int, done: str, done_plural: str | None = None) -> str:
    """Return "1 drawing labelled 5." / "3 drawings labelled 5.", plurals right."""
    done_plural = done if done_plural is None else done_plural
    return ngettext(f"%d drawing {done}.", f"%d drawings {done_plural}.", count) % count
