"""What each kind of job does, given its Job row and a Reporter for its progress:
training a model, rescoring the labelled history, exporting drawings as a data set.
Each returns the job's result (JSON)."""

from django.utils import timezone

from recognizer.history import exports, rescoring
from recognizer.history.selectors import labelled_to_export
from recognizer.jobs.progress import Reporter
from recognizer.ml.datasets import HELD_OUT
from recognizer.ml.preprocessing import GRID
from recognizer.models import Job, ModelVersion, Prediction
from recognizer.registry.selectors import model_version_in_service
from recognizer.registry.serving import load_version
from recognizer.training import services as training
from recognizer.training.sets import BUILT_IN

EXPORT_FOLDER = "exports"
# An export of drawings chosen one by one names at most this many.
MAX_EXPORT_IDS = 100_000


def train(job: Job, reporter: Reporter) -> dict:
    """Train a model on the job's data sets; it becomes the challenger (or, for the
    full model `make run` asks for, serves unless worse). Return its version."""
    parameters = job.parameters
    if parameters.get("if_fast"):
        served = model_version_in_service()
        if served is not None and not served.metadata.get("fast"):
            reporter.message(f"Model {served} is fully trained and in service; not training.")
            return {"skipped": f"model {served} is fully trained and in service"}
    datasets = parameters.get("datasets") or BUILT_IN
    if "history" in datasets and not Prediction.objects.filter(label__isnull=False).exists():
        raise ValueError(
            "There are no labelled drawings to learn from: label some first, or train "
            "without the history."
        )
    who = job.requested_by.get_username() if job.requested_by else job.requested_via
    outcome = training.model_version_train(
        trained_by=f"job {job.pk} ({who})"[:200],
        datasets=datasets,
        grid=parameters.get("grid", GRID),
        held_out=parameters.get("held_out", HELD_OUT),
        fast=parameters.get("fast", False),
        evaluate=parameters.get("evaluate", True),
        then=parameters.get("then", training.CHALLENGE),
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
        outcome = rescoring.rescores_create(model=model, progress=reporter.progress)
        reporter.message(f"model {outcome.version}: {outcome.rescored} drawings guessed again")
        rescored[outcome.version] = {"rescored": outcome.rescored, "skipped": outcome.skipped}
    return {"versions": rescored}


def export(job: Job, reporter: Reporter) -> dict:
    """Write the labelled drawings the job names (by id, or by the history's filters)
    as a ZIP archive in the drawings' storage; return its name and what it holds."""
    predictions = labelled_to_export(
        ids=job.parameters.get("ids"), filters=job.parameters.get("filters")
    )
    total = predictions.count()
    if not total:
        raise ValueError("None of the drawings chosen is labelled: there is nothing to export.")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    name, written = exports.history_archive(
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


# What each kind of job runs.
KINDS = {Job.Kind.TRAIN: train, Job.Kind.RESCORE: rescore, Job.Kind.EXPORT: export}
