"""Jobs in the admin: the Jobs page (newest first, progress refreshed while anything
runs, cancel), and the forms and actions that queue them from the other pages:
"Train a challenger" on Model versions, "Rescore the labelled history" for chosen
versions, "Export as a data set" on the drawings list."""

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from recognizer.jobs.kinds import MAX_EXPORT_IDS
from recognizer.jobs.runner import job_create
from recognizer.jobs.selectors import job_file, jobs_unfinished
from recognizer.jobs.services import JobError, job_cancel
from recognizer.ml import training
from recognizer.ml.datasets import HELD_OUT
from recognizer.models import FINISHED, Job, ModelVersion
from recognizer.storage import drawing_storage
from recognizer.templatetags.recognizer_format import percent
from recognizer.training.services import CHALLENGE
from recognizer.training.sets import BUILT_IN, dataset_choices

VIA = "admin page"
REFRESH_SECONDS = 2


class TrainForm(forms.Form):
    """What a challenger learns from, and how."""

    datasets = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        label="Learn from",
        help_text="load_digits, the labelled drawings, and the data sets imported to train "
        "earlier versions.",
    )
    grid = forms.TypedChoiceField(
        coerce=int,
        choices=[(size, f"{size} x {size}") for size in training.GRIDS],
        initial=training.GRID,
        label="Input grid",
    )
    held_out = forms.FloatField(
        min_value=0.0,
        max_value=0.9,
        initial=HELD_OUT,
        label="Held-out share",
        help_text="Of each imported data set, kept out of training to judge by.",
    )
    fast = forms.BooleanField(
        required=False, label="Quick model", help_text="Seconds instead of minutes; less accurate."
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        names = {"digits": "load_digits (scikit-learn's digits)", "history": "labelled drawings"}
        self.fields["datasets"].choices = [
            (name, names.get(name, name)) for name in dataset_choices()
        ]
        self.fields["datasets"].initial = BUILT_IN

    def parameters(self) -> dict:
        data = self.cleaned_data
        return {
            "datasets": data["datasets"],
            "grid": data["grid"],
            "held_out": data["held_out"],
            "fast": data["fast"],
            "evaluate": not data["fast"],
            "then": CHALLENGE,
        }


def train_challenger_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    """The "Train a challenger" form; queues the training and shows the job."""
    if not request.user.has_perm("recognizer.add_job"):
        model_admin.message_user(request, "You may not start jobs.", messages.ERROR)
        return HttpResponseRedirect(reverse("admin:recognizer_modelversion_changelist"))
    form = TrainForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        job = job_create(
            kind=Job.Kind.TRAIN, parameters=form.parameters(), via=VIA, requested_by=request.user
        )
        model_admin.message_user(
            request,
            f"Training queued as job {job.pk}; when it succeeds, its model is the challenger "
            "on Model versions.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:recognizer_job_change", args=[job.pk]))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": "Train a challenger",
        "form": form,
    }
    return TemplateResponse(request, "admin/recognizer/modelversion/train.html", context)


def queue_action(model_admin: admin.ModelAdmin, request: HttpRequest, job: Job, what: str) -> None:
    """Tell the user a job was queued, with a link to follow it."""
    url = reverse("admin:recognizer_job_change", args=[job.pk])
    model_admin.message_user(
        request, format_html('{} queued as <a href="{}">job {}</a>.', what, url, job.pk)
    )


def rescore_versions(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> None:
    """Queue a rescoring of the labelled history by the selected versions."""
    versions = list(queryset.order_by("created_at").values_list("version", flat=True))
    job = job_create(
        kind=Job.Kind.RESCORE,
        parameters={"versions": versions},
        via=VIA,
        requested_by=request.user,
    )
    queue_action(model_admin, request, job, f"Rescoring with {', '.join(versions)}")


def export_drawings(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> None:
    """Queue an export of the labelled drawings selected (or matching the filters)."""
    ids = list(
        queryset.filter(label__isnull=False)
        .order_by("id")
        .values_list("id", flat=True)[: MAX_EXPORT_IDS + 1]
    )
    if not ids:
        model_admin.message_user(
            request, "None of the drawings chosen is labelled: nothing to export.", messages.ERROR
        )
        return
    if len(ids) > MAX_EXPORT_IDS:
        model_admin.message_user(
            request,
            f"More than {MAX_EXPORT_IDS:,} labelled drawings: narrow the filters.",
            messages.ERROR,
        )
        return
    job = job_create(
        kind=Job.Kind.EXPORT, parameters={"ids": ids}, via=VIA, requested_by=request.user
    )
    queue_action(model_admin, request, job, f"Export of {len(ids)} labelled drawings")


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Every job, newest first; its progress while it runs, its result when it ends."""

    list_display = ["id", "kind", "status", "progress_bar", "stage", "asked", "created_at"]
    list_display_links = ["id", "kind"]
    list_filter = ["kind", "status"]
    list_select_related = ["requested_by"]
    actions = ["cancel"]
    fields = [
        *("kind", "status", "progress_bar", "stage", "asked", "parameters"),
        *("outcome", "error", "created_at", "started_at", "finished_at"),
        *("heartbeat_at", "attempts", "log_lines"),
    ]
    readonly_fields = fields

    class Media:
        css = {"all": ["recognizer/css/admin.css"]}
        js = ["recognizer/js/jobs.js"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # queued from Model versions, the drawings list, or the API

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("recognizer.add_job")

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        context = {**(extra_context or {}), "refresh_seconds": refresh_seconds()}
        return super().changelist_view(request, context)

    def change_view(self, request: HttpRequest, object_id: str, form_url="", extra_context=None):
        context = {
            **(extra_context or {}),
            "refresh_seconds": refresh_seconds([object_id]),
            "can_cancel": self.has_cancel_permission(request),
        }
        return super().change_view(request, object_id, form_url, context)

    @admin.display(description="progress")
    def progress_bar(self, job: Job) -> str:
        return format_html(
            '<progress value="{}" max="1">{}</progress> {}',
            f"{job.progress:.3f}",
            percent(job.progress, 0),
            percent(job.progress, 0),
        )

    @admin.display(description="asked by")
    def asked(self, job: Job) -> str:
        who = job.requested_by.get_username() if job.requested_by else ""
        return f"{who} ({job.requested_via})" if who else job.requested_via

    @admin.display(description="result")
    def outcome(self, job: Job) -> str:
        return job_outcome(job)

    @admin.display(description="log")
    def log_lines(self, job: Job) -> str:
        return format_html("<pre class='job-log'>{}</pre>", job.log)

    @admin.action(description="Cancel the selected jobs", permissions=["cancel"])
    def cancel(self, request: HttpRequest, queryset: QuerySet) -> None:
        for job in queryset.exclude(status__in=FINISHED):
            job_cancel(job_id=job.pk, by=request.user)
        self.message_user(
            request, "Cancelled: queued jobs at once, running ones at their next step."
        )

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:pk>/cancel/",
                self.admin_site.admin_view(require_POST(self.cancel_view)),
                name="recognizer_job_cancel",
            ),
            path(
                "<int:pk>/file/",
                self.admin_site.admin_view(self.file_view),
                name="recognizer_job_file",
            ),
            *super().get_urls(),
        ]

    def cancel_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Cancel one job (its page's button)."""
        if not self.has_cancel_permission(request):
            self.message_user(request, "You may not cancel jobs.", messages.ERROR)
        else:
            try:
                job = job_cancel(job_id=pk, by=request.user)
            except JobError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                done = (
                    "cancelled" if job.status == Job.Status.CANCELLED else "stops at its next step"
                )
                self.message_user(request, f"Job {pk} {done}.")
        return HttpResponseRedirect(reverse("admin:recognizer_job_change", args=[pk]))

    def file_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The file an export job wrote, for staff who may see jobs."""
        if not self.has_view_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        name = job_file(job=get_object_or_404(Job, pk=pk))
        if name is None:
            raise Http404("This job has no file to download.")
        return FileResponse(
            drawing_storage().open(name, "rb"), as_attachment=True, filename=name.rsplit("/", 1)[-1]
        )


def refresh_seconds(ids: list[int] | None = None) -> int | None:
    """Return how often the page reloads itself: while a job (of ``ids``) is unfinished."""
    return REFRESH_SECONDS if jobs_unfinished(ids=ids) else None


def job_outcome(job: Job) -> str:
    """Return a job's result as the admin shows it: links to what it made."""
    result = job.result or {}
    if result.get("model_version"):
        version = ModelVersion.objects.filter(version=result["model_version"]).first()
        if version is None:
            return result["model_version"]
        url = reverse("admin:recognizer_modelversion_change", args=[version.pk])
        listing = reverse("admin:recognizer_modelversion_changelist")
        role = version.get_role_display() or "kept, not serving"
        return format_html(
            'model <a href="{}">{}</a>, {}: <a href="{}#challenger">compared with the one in '
            "service</a>",
            url,
            version,
            role,
            listing,
        )
    if result.get("file"):
        url = reverse("admin:recognizer_job_file", args=[job.pk])
        return format_html(
            '<a href="{}">{}</a>: {} labelled drawings', url, result["file"], result["drawings"]
        )
    if result.get("versions"):
        return format_html_join(
            ", ",
            "{}: {} drawings guessed again",
            ((version, row["rescored"]) for version, row in result["versions"].items()),
        )
    return result.get("skipped", "")
