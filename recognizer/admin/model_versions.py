"""The model registry in the admin: every trained version, which one serves, and the
challenger guessing in shadow with its figures against the guesses served."""

from collections.abc import Callable
from functools import partial

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods

from recognizer.admin import jobs as jobs_admin
from recognizer.history import statistics
from recognizer.models import ModelActivation, ModelVersion
from recognizer.registry import services as registry
from recognizer.registry.selectors import model_version_in_service
from recognizer.templatetags.recognizer_format import percent
from recognizer.training.promotion import challenger_evidence

VIA = "admin"
SWITCHING = "Every server switches within seconds."
IN_SERVICE = "Model {} is in service. " + SWITCHING


class ActivationInline(admin.TabularInline):
    model = ModelActivation
    fk_name = "version"
    fields = ["at", "action", "previous", "by", "via"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "changes that made it serve"

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = [
        "version",
        "role_shown",
        "created_at",
        "trained_by",
        "test_accuracy",
        "drawing_like_accuracy",
        "live_accuracy",
        "not_a_digit_threshold",
    ]
    list_display_links = ["version"]
    actions = ["activate", "challenge", "rescore"]
    inlines = [ActivationInline]
    readonly_fields = [
        *("version", "role_shown", "role_since", "created_at", "trained_by", "algorithm"),
        *("test_accuracy", "drawing_like_accuracy", "live_accuracy", "not_a_digit_threshold"),
        "libraries",
        *("training_data", "evaluation", "metadata", "sha256", "size_bytes", "artifact"),
    ]
    exclude = ["role"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # versions come from `manage.py train_model`

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # every version is kept, so any can serve again

    def has_activate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("recognizer.activate_modelversion")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Computed per request, in the query: one ModelAdmin serves every request.
        return statistics.with_live_accuracy(super().get_queryset(request))

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        context = {
            **(extra_context or {}),
            "can_activate": self.has_activate_permission(request),
            "challenger": statistics.challenger_figures(),
            "evidence": challenger_evidence(),
            "auto_promote": settings.AUTO_PROMOTE,
            "auto_promote_min": settings.AUTO_PROMOTE_MIN_LABELLED,
            "can_train": request.user.has_perm("recognizer.add_job"),
        }
        return super().changelist_view(request, context)

    @admin.display(description="role")
    def role_shown(self, model_version: ModelVersion) -> str:
        quick = "quick model, trained in seconds" if model_version.metadata.get("fast") else ""
        return " · ".join(part for part in (model_version.get_role_display(), quick) if part)

    @admin.display(description="not a digit above")
    def not_a_digit_threshold(self, model_version: ModelVersion) -> str:
        """Return how the version tells a drawing that is no digit, with its threshold."""
        refusal = model_version.metadata.get("refusal")
        if not refusal:
            return "never refuses"
        return f"{refusal['method']} score {refusal['threshold']:.3g}"

    @admin.display(description="test accuracy")
    def test_accuracy(self, model_version: ModelVersion) -> str:
        return percent(model_version.metadata.get("test_accuracy"), 1)

    @admin.display(description="on drawing-like sets")
    def drawing_like_accuracy(self, model_version: ModelVersion) -> str:
        scores = [row["accuracy"] for row in model_version.evaluation.values()]
        return percent(min(scores), 1) + " or better" if scores else "not evaluated"

    @admin.display(description="on labelled drawings")
    def live_accuracy(self, model_version: ModelVersion) -> str:
        counts = statistics.LabelledCounts(model_version.live_labelled, model_version.live_correct)
        if not counts.labelled:
            return "none labelled yet"
        return f"{percent(counts.accuracy, 1)} of {counts.labelled}"

    @admin.action(description="Put the selected version in service", permissions=["activate"])
    def activate(self, request: HttpRequest, queryset: QuerySet) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to serve.", messages.ERROR)
            return
        version = queryset.get().version
        self.change_model(
            request,
            lambda: registry.model_version_activate(version=version, via=VIA, by=request.user),
            IN_SERVICE,
        )

    @admin.action(
        description="Make the selected version the challenger (guesses in shadow)",
        permissions=["activate"],
    )
    def challenge(self, request: HttpRequest, queryset: QuerySet) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to challenge.", messages.ERROR)
            return
        version = queryset.get().version
        self.change_model(
            request,
            lambda: registry.model_version_challenge(version=version, via=VIA, by=request.user),
            "Model {} is the challenger: from now on it guesses every new drawing too, "
            "unseen by the person drawing.",
        )

    def change_model(self, request: HttpRequest, change: Callable, done: str) -> None:
        """Make a change of the registry, telling the user what it did or why it could not."""
        try:
            model_version = change()
        except registry.RegistryError as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        self.message_user(request, done.format(model_version), messages.SUCCESS)

    def get_urls(self) -> list[URLPattern]:
        changes = [
            ("rollback/", self.rollback_view, "rollback"),
            ("promote/", self.promote_view, "promote"),
            ("stop-challenger/", self.stop_challenger_view, "stop_challenger"),
        ]
        return [
            *(
                path(
                    route,
                    self.admin_site.admin_view(require_http_methods(["GET", "POST"])(view)),
                    name=f"recognizer_modelversion_{name}",
                )
                for route, view, name in changes
            ),
            path(
                "train/",
                self.admin_site.admin_view(partial(jobs_admin.train_challenger_view, self)),
                name="recognizer_modelversion_train",
            ),
            *super().get_urls(),
        ]

    @admin.action(
        description="Rescore the labelled history with the selected versions",
        permissions=["rescore"],
    )
    def rescore(self, request: HttpRequest, queryset: QuerySet) -> None:
        jobs_admin.rescore_versions(self, request, queryset)

    def has_rescore_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("recognizer.add_job")

    def rollback_view(self, request: HttpRequest) -> HttpResponse:
        """Roll back to the version that served before the one in service, once confirmed."""

        def plan() -> tuple[str, str]:
            in_service, previous = model_version_in_service(), registry.rollback_target()
            return (
                f"Put model {previous} back in service in place of model {in_service}.",
                f"Model {previous} is in service again, in place of model {in_service}. "
                + SWITCHING,
            )

        return self.confirmed_change(
            request,
            "Roll back the model in service",
            plan,
            lambda: registry.model_version_rollback(via=VIA, by=request.user),
        )

    def promote_view(self, request: HttpRequest) -> HttpResponse:
        """Put the challenger in service in place of the version serving, once confirmed."""

        def plan() -> tuple[str, str]:
            in_service, challenger = model_version_in_service(), registry.challenger()
            return (
                f"Put the challenger, model {challenger}, in service in place of model "
                f"{in_service}. It stops being the challenger; a rollback brings model "
                f"{in_service} back.",
                f"Model {challenger} is in service, in place of model {in_service}; there is "
                "no challenger now. " + SWITCHING,
            )

        return self.confirmed_change(
            request,
            "Promote the challenger",
            plan,
            lambda: registry.model_version_promote(via=VIA, by=request.user),
        )

    def stop_challenger_view(self, request: HttpRequest) -> HttpResponse:
        """Stop the challenger guessing in shadow, once confirmed."""

        def plan() -> tuple[str, str]:
            challenger = registry.challenger()
            return (
                f"Stop model {challenger} guessing new drawings in shadow. The guesses it "
                "made so far stay stored; the model in service does not change.",
                f"Model {challenger} is no longer the challenger: new drawings are guessed "
                "by the model in service alone.",
            )

        return self.confirmed_change(
            request,
            "Stop the challenger",
            plan,
            lambda: registry.model_version_stop_challenge(via=VIA, by=request.user),
        )

    def confirmed_change(
        self,
        request: HttpRequest,
        title: str,
        plan: Callable[[], tuple[str, str]],
        make: Callable[[], ModelVersion],
    ) -> HttpResponse:
        """Ask to confirm a change of the registry (GET), make it (POST), and say what
        changed or why it could not; `plan` returns the question and the outcome."""
        changelist = reverse("admin:recognizer_modelversion_changelist")
        if not self.has_activate_permission(request):
            self.message_user(request, "You may not change the model in service.", messages.ERROR)
            return HttpResponseRedirect(changelist)
        try:
            question, outcome = plan()
            if request.method == "POST":
                make()
        except registry.RegistryError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(changelist)
        if request.method == "POST":
            self.message_user(request, outcome, messages.SUCCESS)
            return HttpResponseRedirect(changelist)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{title}?",
            "question": question,
            "confirm": title,
            "opts": self.model._meta,
            "changelist_url": changelist,
        }
        return TemplateResponse(
            request, "admin/recognizer/modelversion/confirm_change.html", context
        )


@admin.register(ModelActivation)
class ModelActivationAdmin(admin.ModelAdmin):
    """The record of every change of the model in service."""

    list_display = ["at", "action", "version_link", "previous", "by", "via"]
    list_filter = ["action"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="version", ordering="version__version")
    def version_link(self, activation: ModelActivation) -> str:
        if activation.version is None:
            return ""
        url = reverse("admin:recognizer_modelversion_change", args=[activation.version.pk])
        return format_html('<a href="{}">{}</a>', url, activation.version)
