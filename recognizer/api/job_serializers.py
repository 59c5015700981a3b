"""What /api/jobs/ reads and answers: the job asked for, its filters, and a job as it goes."""

import datetime

from django.urls import reverse
from rest_framework import serializers

from recognizer.api.serializers import PredictionFilterSerializer
from recognizer.jobs.kinds import MAX_EXPORT_IDS
from recognizer.ml import training
from recognizer.ml.datasets import HELD_OUT
from recognizer.models import Job, ModelVersion
from recognizer.registry.services import usable_reason
from recognizer.training.services import CHALLENGE
from recognizer.training.sets import BUILT_IN, dataset_choices

# The parameters each kind of job takes (beside "kind").
PARAMETERS = {
    Job.Kind.TRAIN: ("datasets", "grid", "held_out", "fast", "evaluate"),
    Job.Kind.RESCORE: ("versions",),
    Job.Kind.EXPORT: ("filters", "ids"),
}


class JsonBoolean(serializers.BooleanField):
    """true or false, as JSON writes them (not 0, 1 or "yes")."""

    def to_internal_value(self, data: object) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class JsonInteger(serializers.IntegerField):
    """A JSON integer (not a string of digits, nor true)."""

    def to_internal_value(self, data: object) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class JsonNumber(serializers.FloatField):
    """A JSON number (not a string of digits, nor true)."""

    def to_internal_value(self, data: object) -> float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            self.fail("invalid")
        return super().to_internal_value(data)


class JsonString(serializers.CharField):
    """A JSON string (not a number)."""

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class JobCreateSerializer(serializers.Serializer):
    """A job to queue: its kind and that kind's parameters (any other is refused)."""

    kind = serializers.ChoiceField(choices=Job.Kind.choices)
    datasets = serializers.ListField(
        child=JsonString(max_length=500),
        required=False,
        allow_empty=False,
        help_text="train: what to learn from: digits (load_digits), history (the labelled "
        "drawings), or a data set imported to train an earlier version, by the name it "
        "has there. Default: digits and history.",
    )
    grid = JsonInteger(
        required=False,
        min_value=training.GRIDS[0],
        max_value=training.GRIDS[-1],
        help_text=f"train: the input grid, N x N cells (default {training.GRID}).",
    )
    held_out = JsonNumber(
        required=False,
        min_value=0.0,
        max_value=0.9,
        help_text=f"train: share of each imported data set held out to judge by "
        f"(default {HELD_OUT}).",
    )
    fast = JsonBoolean(required=False, help_text="train: a small model in seconds (less accurate).")
    evaluate = JsonBoolean(
        required=False,
        help_text="train: also score it on the drawing-like sets (default true; about 30 s).",
    )
    versions = serializers.ListField(
        child=JsonString(max_length=64),
        required=False,
        allow_empty=False,
        help_text="rescore: the model versions that guess the labelled history again.",
    )
    filters = serializers.DictField(
        required=False,
        help_text="export: the history's filters, as GET /api/predictions/ takes them "
        "(digit, label, correct, labelled, model_version, created_after, created_before); "
        "the labelled drawings among those are exported.",
    )
    ids = serializers.ListField(
        child=JsonInteger(min_value=1),
        required=False,
        allow_empty=False,
        max_length=MAX_EXPORT_IDS,
        help_text="export: these drawings (their labelled ones), in place of filters.",
    )

    def validate_datasets(self, value: list[str]) -> list[str]:
        known = dataset_choices()
        for name in value:
            if name not in known:
                raise serializers.ValidationError(
                    f"Unknown data set {name!r}; known: {', '.join(known)}.", code="unknown"
                )
        if len(set(value)) != len(value):
            raise serializers.ValidationError("A data set is named twice.", code="repeated")
        return value

    def validate_filters(self, value: dict) -> dict:
        """Return the filters as the job stores them: validated, in JSON (dates in ISO
        8601), those not given left out."""
        filters = PredictionFilterSerializer(data=value)
        if not filters.is_valid():
            raise serializers.ValidationError(filters.errors)
        unknown = set(value) - set(filters.fields)
        if unknown:
            raise serializers.ValidationError(
                {sorted(unknown)[0]: "Not a filter of the history."}, code="unexpected"
            )
        return {
            name: value.isoformat() if isinstance(value, datetime.datetime) else value
            for name, value in filters.validated_data.items()
            if value is not None
        }

    def validate_versions(self, value: list[str]) -> list[str]:
        rows = {row.version: row for row in ModelVersion.objects.filter(version__in=value)}
        for version in value:
            if version not in rows:
                raise serializers.ValidationError(
                    f"There is no model version {version!r}.", code="unknown"
                )
            reason = usable_reason(rows[version])
            if reason:
                raise serializers.ValidationError(
                    f"Model {version} cannot run here: {reason}", code="unusable"
                )
        return list(dict.fromkeys(value))

    def validate(self, data: dict) -> dict:
        kind = data["kind"]
        allowed = PARAMETERS[kind]
        for name in self.initial_data:
            if name != "kind" and name not in allowed:
                raise serializers.ValidationError(
                    {name: f"Not a parameter of a {kind} job; those are: {', '.join(allowed)}."},
                    code="unexpected",
                )
        if kind == Job.Kind.RESCORE and "versions" not in data:
            raise serializers.ValidationError(
                {"versions": "Name the versions to rescore."}, code="required"
            )
        if kind == Job.Kind.EXPORT and "filters" in data and "ids" in data:
            raise serializers.ValidationError(
                {"ids": "Give filters or ids, not both."}, code="invalid"
            )
        return data

    def parameters(self) -> dict:
        """Return the job's parameters as stored: defaults filled in, filters validated."""
        data = self.validated_data
        kind = data["kind"]
        if kind == Job.Kind.TRAIN:
            return {
                "datasets": data.get("datasets", BUILT_IN),
                "grid": data.get("grid", training.GRID),
                "held_out": data.get("held_out", HELD_OUT),
                "fast": data.get("fast", False),
                "evaluate": data.get("evaluate", True),
                "then": CHALLENGE,
            }
        if kind == Job.Kind.RESCORE:
            return {"versions": data["versions"]}
        if "ids" in data:
            return {"ids": sorted(set(data["ids"]))}
        return {"filters": data.get("filters", {})}


class JobFilterSerializer(serializers.Serializer):
    """Query parameters of the list of jobs."""

    status = serializers.ChoiceField(choices=Job.Status.choices, required=False)
    kind = serializers.ChoiceField(choices=Job.Kind.choices, required=False)


class JobSerializer(serializers.ModelSerializer):
    """A job as it goes: how far, and in the end its result or why it failed."""

    requested_by = serializers.SerializerMethodField(help_text="Who asked, or what.")
    log = serializers.SerializerMethodField(help_text="The last lines of its log.")
    result = serializers.SerializerMethodField(
        help_text="train: model_version (and its role); rescore: versions; export: file, "
        "drawings and download_url."
    )

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "status",
            "progress",
            "stage",
            "created_at",
            "started_at",
            "finished_at",
            "parameters",
            "result",
            "error",
            "requested_by",
            "attempts",
            "log",
        ]

    def get_requested_by(self, job: Job) -> str:
        return job.requested_by.get_username() if job.requested_by else job.requested_via

    def get_log(self, job: Job) -> list[str]:
        return job.log.splitlines()

    def get_result(self, job: Job) -> dict:
        result = dict(job.result)
        if result.get("file"):
            url = reverse("api:job-file", args=[job.pk])
            request = self.context.get("request")
            result["download_url"] = request.build_absolute_uri(url) if request else url
        return result
