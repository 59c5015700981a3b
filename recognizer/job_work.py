"""What each kind of job does, given its Job row and a Reporter for its progress:
training a model, rescoring the labelled history, exporting drawings as a data set.
Each returns the job's result (JSON)."""

from django.utils import timezone

from recognizer import export as exporting
from recognizer import rescoring, retraining, selectors
from recognizer.jobs import Reporter
from recognizer.ml import datasets
from recognizer.ml.preprocessing import GRID
from recognizer.model_service import load_version
from recognizer.models import Job, ModelVersion, Prediction

DEFAULT_DATASETS = ["digits", "history"]
BUILT_IN_DATASETS = ["digits", "history"]

# The share of a job's progress each stage covers, by the stage's kind.
SHARES = {
    Job.Kind.TRAIN: {
        "list": (0.0, 0.05),
        "train": (0.05, 0.55),
        "held-out": (0.55, 0.6),
        "fit": (0.6, 0.9),
        "judge": (0.9, 0.95),
        "score": (0.95, 1.0),
    },
    Job.Kind.EXPORT: {"export": (0.0, 1.0)},
}
EXPORT_FOLDER = "exports"


def dataset_choices() -> list[str]:
    """Return the data sets a training job may learn from: load_digits, the labelled
    history, and every data set imported to train an earlier version (as it was named)."""
    imported = set()
    for training_data in ModelVersion.objects.values_list("training_data", flat=True):
        for name, record in (training_data or {}).items():
            if isinstance(record, dict) and record.get("kind") in datasets.IMPORTED:
                imported.add(name)
    return [*BUILT_IN_DATASETS, *sorted(imported)]


def train(job: Job, reporter: Reporter) -> dict:
    """Train a model on the job's data sets; it becomes the challenger (or, for the
    full model `make run` asks for, serves unless worse). Return its version."""
    parameters = job.parameters
    if parameters.get("if_fast"):
        served = selectors.model_version_in_service()
        if served is not None and not served.metadata.get("fast"):
            reporter.message(f"Model {served} is fully trained and in service; not training.")
            return {"skipped": f"model {served} is fully trained and in service"}
    sources = parameters.get("datasets") or DEFAULT_DATASETS
    if "history" in sources and not Prediction.objects.filter(label__isnull=False).exists():
        raise ValueError(
            "There are no labelled drawings to learn from: label some first, or train "
            "without the history."
        )
    who = job.requested_by.get_username() if job.requested_by else job.requested_via
    outcome = retraining.train_model(
        trained_by=f"job {job.pk} ({who})"[:200],
        sources=sources,
        grid=parameters.get("grid", GRID),
        held_out=parameters.get("held_out", datasets.HELD_OUT),
        fast=parameters.get("fast", False),
        run_evaluation=parameters.get("evaluate", True),
        challenge=parameters.get("then", "challenge") == "challenge",
        via=f"job {job.pk}",
        message=reporter.message,
        progress=reporter.progress,
    )
    version = ModelVersion.objects.get(pk=outcome.model_version.pk)
    reporter.message(f"model {version} trained; {version.get_role_display() or 'kept'}")
    return {
        "model_version": version.version,
        "role": version.role,
        "previous_version": outcome.previous_version,
        "train_seconds": outcome.result.metadata["train_seconds"],
        "comparison": [
            {"set": name, "samples": samples, "served": served, "new": new}
            for name, samples, served, new in outcome.comparison.rows
        ],
        "problems": [str(problem) for problem in outcome.problems[:20]],
    }


def rescore(job: Job, reporter: Reporter) -> dict:
    """Guess the labelled history again with each of the job's versions; return how
    many drawings each guessed."""
    versions = list(dict.fromkeys(job.parameters["versions"]))
    models = [load_version(version) for version in versions]  # an unknown one fails at once
    rescored = {}
    for index, model in enumerate(models):
        reporter.shares["rescore"] = (index / len(models), (index + 1) / len(models))
        outcome = rescoring.rescores_create(
            model=model,
            progress=lambda stage, done, total, version=model.version: reporter.progress(
                f"rescore:{version}", done, total
            ),
        )
        reporter.message(f"model {outcome.version}: {outcome.rescored} drawings guessed again")
        rescored[outcome.version] = {"rescored": outcome.rescored, "skipped": outcome.skipped}
    return {"versions": rescored}


def export(job: Job, reporter: Reporter) -> dict:
    """Write the labelled drawings the job names (by id, or by the history's filters)
    as a ZIP archive in the drawings' storage; return its name and what it holds."""
    predictions = export_selection(job.parameters)
    total = predictions.count()
    if not total:
        raise ValueError("None of the drawings chosen is labelled: there is nothing to export.")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    name, written = exporting.history_archive(
        predictions=predictions.iterator(chunk_size=1000),
        name=f"{EXPORT_FOLDER}/job-{job.pk}-{stamp}.zip",
        progress=lambda count: reporter.progress("export", count, total),
    )
    for line in written.skipped[:20]:
        reporter.message(f"skipped {line}")
    return {
        "file": name,
        "drawings": written.written,
        "per_digit": written.per_digit,
        "skipped": len(written.skipped),
    }


def export_selection(parameters: dict):
    """Return the labelled drawings an export job names, by id."""
    if "ids" in parameters:
        chosen = Prediction.objects.filter(pk__in=parameters["ids"])
    else:
        from recognizer.api.serializers import PredictionFilterSerializer

        filters = PredictionFilterSerializer(data=parameters.get("filters") or {})
        filters.is_valid(raise_exception=True)
        chosen = selectors.prediction_list(**filters.validated_data)
    return (
        chosen.filter(label__isnull=False)
        .order_by("id")
        .only("id", "drawing", "label", "digit", "model_version", "created_at")
    )
