"""The model registry in the admin: every trained version, which one serves, and the
challenger guessing in shadow with its figures against the guesses served."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from recognizer import registry, statistics
from recognizer.models import ModelActivation, ModelVersion
from recognizer.templatetags.recognizer_format import percent

VIA = "admin"
IN_SERVICE = "Model {} is in service; every server switches to it within seconds."


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
        "serving",
        "created_at",
        "trained_by",
        "test_accuracy",
        "drawing_like_accuracy",
        "live_accuracy",
        "not_a_digit_threshold",
    ]
    list_display_links = ["version"]
    actions = ["activate", "challenge"]
    inlines = [ActivationInline]
    readonly_fields = [
        *("version", "serving", "role_since", "created_at", "trained_by", "algorithm"),
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

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        # One grouped query for the live accuracy of every version listed.
        self.live = statistics.labelled_counts_by_version()
        context = {
            **(extra_context or {}),
            "can_activate": self.has_activate_permission(request),
            "challenger": statistics.challenger_figures(),
        }
        return super().changelist_view(request, context)

    @admin.display(description="not a digit above")
    def not_a_digit_threshold(self, model_version: ModelVersion) -> str:
        """Return how the version tells a drawing that is no digit, with its threshold."""
        refusal = model_version.metadata.get("refusal")
        if not refusal:
            return "never refuses"
        return f"{refusal['method']} score {refusal['threshold']:.3g}"

    @admin.display(description="serving")
    def serving(self, model_version: ModelVersion) -> str:
        return model_version.get_role_display() if model_version.role else ""

    @admin.display(description="test accuracy")
    def test_accuracy(self, model_version: ModelVersion) -> str:
        return percent(model_version.metadata.get("test_accuracy"), 1)

    @admin.display(description="on drawing-like sets")
    def drawing_like_accuracy(self, model_version: ModelVersion) -> str:
        scores = [row["accuracy"] for row in model_version.evaluation.values()]
        return percent(min(scores), 1) + " or better" if scores else "not evaluated"

    @admin.display(description="on labelled drawings")
    def live_accuracy(self, model_version: ModelVersion) -> str:
        live = getattr(self, "live", None) or statistics.labelled_counts_by_version()
        counts = live.get(model_version.version)
        if counts is None or not counts.labelled:
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

    def change_model(self, request: HttpRequest, change: callable, done: str) -> None:
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
                    self.admin_site.admin_view(require_POST(view)),
                    name=f"recognizer_modelversion_{name}",
                )
                for route, view, name in changes
            ),
            *super().get_urls(),
        ]

    def rollback_view(self, request: HttpRequest) -> HttpResponse:
        """Roll back to the version that served before the current one."""
        return self.registry_view(
            request, lambda: registry.model_version_rollback(via=VIA, by=request.user), IN_SERVICE
        )

    def promote_view(self, request: HttpRequest) -> HttpResponse:
        """Put the challenger in service in place of the current version."""
        return self.registry_view(
            request, lambda: registry.model_version_promote(via=VIA, by=request.user), IN_SERVICE
        )

    def stop_challenger_view(self, request: HttpRequest) -> HttpResponse:
        """Stop the challenger guessing."""
        return self.registry_view(
            request,
            lambda: registry.model_version_stop_challenge(via=VIA, by=request.user),
            "Model {} is no longer the challenger.",
        )

    def registry_view(self, request: HttpRequest, change: callable, done: str) -> HttpResponse:
        """Make a change of the registry if the user may; answer with the list of versions."""
        if self.has_activate_permission(request):
            self.change_model(request, change, done)
        else:
            self.message_user(request, "You may not change the model in service.", messages.ERROR)
        return HttpResponseRedirect(reverse("admin:recognizer_modelversion_changelist"))


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
