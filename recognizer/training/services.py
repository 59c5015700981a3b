"""Train models on data sets (load_digits, the corrected history, imported ones) and put
them in service.

A new model is compared with the one in service on sets neither was trained
on: the held-out quarter of load_digits, the held-out part of the labelled
history (every fifth labelled drawing, by id) and the held-out part of each
data set it was trained on. It replaces it only if it is not worse on any by
more than TOLERANCE, unless asked to serve even if worse. It is also evaluated on
drawing-like sets (see `recognizer.registry.evaluation`) and the figures are kept
in its metadata. Every trained version is kept in the model registry, so any
can serve again later.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.conf import settings

from recognizer.ml import evaluation, refusals, training
from recognizer.ml.datasets import HELD_OUT, Dataset, split
from recognizer.ml.guessing import LoadedModel, ModelUnavailable
from recognizer.ml.listings import Problem
from recognizer.ml.preprocessing import GRID
from recognizer.ml.progress import Progress
from recognizer.models import ModelVersion
from recognizer.registry import evaluation as registry_evaluation
from recognizer.registry.services import (
    model_version_activate,
    model_version_challenge,
    model_version_create,
)
from recognizer.registry.serving import load_version
from recognizer.training import sets

# A drop in accuracy this small is noise, not a worse model: on the 450
# load_digits test images it is 4 drawings, while retraining with history
# can gain far more on what people really draw.
TOLERANCE = 0.01

Message = Callable[[str], None]

# Where a new version goes: in service (unless worse than the one serving), or
# the challenger.
SERVE = "serve"
CHALLENGE = "challenge"

# The names of the comparison sets that every model has been judged on.
SET_NAMES = {"digits": "load_digits test split", "history": "held-out history"}


@dataclass
class Comparison:
    """Accuracy of the new and the current model on each comparison set."""

    rows: list[tuple[str, int, float | None, float]] = field(default_factory=list)

    @property
    def new_is_worse(self) -> bool:
        return any(
            current is not None and new < current - TOLERANCE for _, _, current, new in self.rows
        )

    def as_metadata(self) -> dict[str, dict[str, float | int]]:
        return {name: {"samples": samples, "accuracy": new} for name, samples, _, new in self.rows}


@dataclass
class TrainingOutcome:
    result: training.TrainingResult
    model_version: ModelVersion
    previous_version: str | None
    comparison: Comparison
    evaluation: dict[str, evaluation.Evaluation]
    activated: bool
    problems: list[Problem]  # what was skipped, in every data set and in the history


def loaded_model_in_service() -> LoadedModel | None:
    """Return the model in service, if there is one this code can run."""
    try:
        return load_version()
    except ModelUnavailable:
        return None


def set_name(dataset: Dataset) -> str:
    """Return the name under which a data set's held-out part is compared."""
    return SET_NAMES.get(dataset.spec.kind, f"held-out {dataset.name}")


def compare(
    result: training.TrainingResult,
    current: LoadedModel | None,
    datasets: Sequence[Dataset],
    *,
    held_out: float,
    progress: Progress,
) -> Comparison:
    """Return the accuracy of the new and the current model on each data set's held-out
    part (sets with no usable image are left out)."""
    comparison = Comparison()
    for dataset in datasets:
        _, indices = split(dataset, held_out)
        if not len(indices):
            continue
        new, _ = evaluation.score_dataset(
            result.pipeline,
            dataset,
            indices,
            features=result.held_out.get(dataset.name),
            n_jobs=settings.TRAINING_JOBS,
        )
        if not new.n:
            continue
        old = None
        if current is not None:
            old = evaluation.score_dataset(
                current.pipeline,
                dataset,
                indices,
                n_jobs=settings.TRAINING_JOBS,
                progress=lambda done, total, name=dataset.name: progress(
                    f"judge:{name}", done, total
                ),
            )[0].accuracy
        comparison.rows.append((set_name(dataset), new.n, old, new.accuracy))
    return comparison


def training_options(*, fast: bool, factor: int | None, history_repeat: int | None) -> dict:
    """Return the options of `training.train` that the settings and the ``fast`` mode
    choose, ``factor`` (copies of each imported image) overriding them if given."""
    options = (
        dict(training.FAST_OPTIONS)
        if fast
        else {"factor": settings.TRAINING_AUGMENTATION_FACTOR, "import_factor": None}
    )
    if factor is not None:
        options["import_factor"] = factor
    repeat = settings.HISTORY_REPEAT if history_repeat is None else history_repeat
    return {**options, "history_repeat": repeat}


def model_version_train(
    *,
    trained_by: str,
    datasets: Sequence[str] = (),
    with_history: bool = False,
    history_repeat: int | None = None,
    factor: int | None = None,
    grid: int = GRID,
    held_out: float = HELD_OUT,
    then: str = SERVE,
    even_if_worse: bool = False,
    via: str = "train_model",
    fast: bool = False,
    evaluate: bool = True,
    message: Message = lambda text: None,
    progress: Progress = lambda stage, done, total: None,
) -> TrainingOutcome:
    """Train on ``datasets`` (DATASET texts; load_digits if none, plus the history if
    ``with_history``), register the model and compare it with the one in service;
    return what happened.

    ``then`` says where the new version goes: SERVE puts it in service unless it
    is worse than the version in service on a comparison set (or even then, with
    ``even_if_worse``); CHALLENGE makes it the challenger (it serves only if
    nothing does). ``via`` names what asked, in the record of the change.
    ``factor``: distorted copies of each imported image (None: by data size).
    ``fast`` trains a small model in seconds (for tests and trying things
    out); ``evaluate`` False skips the drawing-like evaluation sets.
    Raises DatasetError for a data set that cannot be used.
    """
    specs = sets.training_specs(datasets, with_history=with_history)
    trained = sets.open_datasets(specs, progress=progress)
    for dataset in trained:
        message(sets.describe_dataset(dataset, held_out))
    result = training.train(
        trained,
        **training_options(fast=fast, factor=factor, history_repeat=history_repeat),
        grid=grid,
        held_out=held_out,
        seed=settings.TRAINING_SEED,
        n_jobs=settings.TRAINING_JOBS,
        progress=progress,
    )
    current = loaded_model_in_service()
    judged = sets.judged_datasets(trained, current, progress=progress)
    comparison = compare(result, current, judged, held_out=held_out, progress=progress)
    result.metadata["comparison"] = comparison.as_metadata()
    result.metadata["fast"] = fast  # a quick model, which make run replaces with a full one
    scores = evaluation_record(result, message) if evaluate else {}
    model_version = model_version_create(
        pipeline=result.pipeline, metadata=result.metadata, trained_by=trained_by
    )
    serves = current is None or (then == SERVE and (even_if_worse or not comparison.new_is_worse))
    if serves:
        model_version_activate(version=model_version.version, via=via)
    elif then == CHALLENGE and model_version.role != ModelVersion.Role.IN_SERVICE:
        model_version_challenge(version=model_version.version, via=via)
    return TrainingOutcome(
        result=result,
        model_version=model_version,
        previous_version=current.version if current else None,
        comparison=comparison,
        evaluation=scores,
        activated=serves,
        problems=result.problems + judged_only_problems(trained, judged),
    )


def evaluation_record(result: training.TrainingResult, message: Message) -> dict:
    """Score a new model on the drawing-like sets and keep the figures in its metadata,
    with what it guessed there: the baseline of its drift checks. Return the scores."""
    message("Evaluating on drawing-like sets (none of them trained on)...")
    scores = registry_evaluation.evaluate(result.pipeline)
    result.metadata["evaluation"] = registry_evaluation.evaluation_metadata(scores)
    result.metadata[registry_evaluation.BASELINE_KEY] = registry_evaluation.drift_baseline(scores)
    rates = registry_evaluation.refusal_rates(result.pipeline)
    result.metadata["refusal"]["evaluation"] = rates
    message(refusals.format_rates(rates))
    return scores


def judged_only_problems(trained: Sequence, judged: Sequence) -> list:
    """Return the problems met reading the history when it was only judged by, not
    learnt from (those of the data sets learnt from are the training's own)."""
    history = next(dataset for dataset in judged if dataset.spec.kind == "history")
    return [] if any(dataset is history for dataset in trained) else history.problems
