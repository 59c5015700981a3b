"""Train models on data sets (load_digits, the corrected history, imported ones) and put
them in service.

A new model is compared with the one in service on sets neither was trained
on: the held-out quarter of load_digits, the held-out part of the labelled
history (every fifth labelled drawing, by id) and the held-out part of each
source it was trained on. It replaces it only if it is not worse on any by
more than TOLERANCE, unless activated by hand. It is also evaluated on
drawing-like sets (see `recognizer.ml.evaluation`) and the figures are kept
in its metadata. Every trained version is kept in the model registry, so any
can serve again later.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.conf import settings

from recognizer import drift, model_evaluation, registry, training_sets
from recognizer.ml import datasets, evaluation, refusals, training
from recognizer.ml.datasets import HELD_OUT, Source
from recognizer.ml.listings import Problem
from recognizer.ml.preprocessing import GRID
from recognizer.ml.serving import LoadedModel, ModelUnavailable
from recognizer.model_service import load_version
from recognizer.models import ModelVersion

# A drop in accuracy this small is noise, not a worse model: on the 450
# load_digits test images it is 4 drawings, while retraining with history
# can gain far more on what people really draw.
TOLERANCE = 0.01

Message = Callable[[str], None]

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
    problems: list[Problem]  # what was skipped, in every source and in the history


def loaded_model_in_service() -> LoadedModel | None:
    """Return the model in service, if there is one this code can run."""
    try:
        return load_version()
    except ModelUnavailable:
        return None


def set_name(source: Source) -> str:
    """Return the name under which a source's held-out part is compared."""
    return SET_NAMES.get(source.spec.kind, f"held-out {source.name}")


def compare(
    result: training.TrainingResult,
    current: LoadedModel | None,
    sources: Sequence[Source],
    *,
    held_out: float,
    progress: training.Stage,
) -> Comparison:
    """Return the accuracy of the new and the current model on each source's held-out
    part (sets with no usable image are left out)."""
    comparison = Comparison()
    for source in sources:
        _, indices = datasets.split(source, held_out)
        if not len(indices):
            continue
        new, _ = evaluation.score_source(
            result.pipeline,
            source,
            indices,
            features=result.held_out.get(source.name),
            n_jobs=settings.TRAINING_JOBS,
        )
        if not new.n:
            continue
        old = None
        if current is not None:
            old = evaluation.score_source(
                current.pipeline,
                source,
                indices,
                n_jobs=settings.TRAINING_JOBS,
                progress=lambda done, total, name=source.name: progress(
                    f"judge:{name}", done, total
                ),
            )[0].accuracy
        comparison.rows.append((set_name(source), new.n, old, new.accuracy))
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


def train_model(
    *,
    trained_by: str,
    sources: Sequence[str] = (),
    with_history: bool = False,
    history_repeat: int | None = None,
    factor: int | None = None,
    grid: int = GRID,
    held_out: float = HELD_OUT,
    activate: bool = False,
    challenge: bool = False,
    via: str = "train_model",
    fast: bool = False,
    run_evaluation: bool = True,
    message: Message = lambda text: None,
    progress: training.Stage = lambda stage, done, total: None,
) -> TrainingOutcome:
    """Train on ``sources`` (SOURCE texts; load_digits if none, plus the history if
    ``with_history``), register the model, compare it with the one in service and
    put it in service if not worse, or if ``activate``; with ``challenge``, make it
    the challenger instead (it serves only if nothing does). ``via`` names what
    asked, in the record of the change.

    ``factor``: distorted copies of each imported image (None: by data size).
    ``fast`` trains a small model in seconds (for tests and trying things
    out); ``run_evaluation`` False skips the drawing-like evaluation sets.
    Raises DatasetError for a data set that cannot be used.
    """
    specs = training_sets.training_specs(sources, with_history=with_history)
    trained = training_sets.open_sources(specs, progress=progress)
    for source in trained:
        message(training_sets.describe_source(source, held_out))
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
    judged = training_sets.judged_sources(trained, current, progress=progress)
    comparison = compare(result, current, judged, held_out=held_out, progress=progress)
    result.metadata["comparison"] = comparison.as_metadata()
    result.metadata["fast"] = fast  # a quick model, which make run replaces with a full one
    scores = evaluated(result, message) if run_evaluation else {}
    model_version = registry.model_version_create(
        pipeline=result.pipeline, metadata=result.metadata, trained_by=trained_by
    )
    activated = activate or current is None or not (challenge or comparison.new_is_worse)
    if activated:
        registry.model_version_activate(version=model_version.version, via=via)
    elif challenge and model_version.role != ModelVersion.Role.IN_SERVICE:
        registry.model_version_challenge(version=model_version.version, via=via)
    return TrainingOutcome(
        result=result,
        model_version=model_version,
        previous_version=current.version if current else None,
        comparison=comparison,
        evaluation=scores,
        activated=activated,
        problems=result.problems + judged_only_problems(trained, judged),
    )


def evaluated(result: training.TrainingResult, message: Message) -> dict:
    """Score a new model on the drawing-like sets and keep the figures in its metadata,
    with what it guessed there: the baseline of its drift checks."""
    message("Evaluating on drawing-like sets (none of them trained on)...")
    scores = model_evaluation.evaluate(result.pipeline)
    result.metadata["evaluation"] = model_evaluation.evaluation_metadata(scores)
    result.metadata[drift.BASELINE_KEY] = drift.baseline_metadata(scores)
    rates = model_evaluation.refusal_rates(result.pipeline)
    result.metadata["refusal"]["evaluation"] = rates
    message(refusals.format_rates(rates))
    return scores


def judged_only_problems(trained: Sequence, judged: Sequence) -> list:
    """Return the problems met reading the history when it was only judged by, not
    learnt from (those of the sources learnt from are the training's own)."""
    history = next(source for source in judged if source.spec.kind == "history")
    return [] if any(source is history for source in trained) else history.problems
