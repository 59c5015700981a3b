"""Train models (optionally on the corrected history) and put them in service.

A new model is compared with the one in service on two sets neither was
trained on: the held-out quarter of load_digits and the held-out part of the
labelled history. It replaces it only if it is not worse on either by
more than TOLERANCE, unless forced. It is also evaluated on drawing-like sets (see
`recognizer.ml.evaluation`) and the figures are kept in its metadata. Every
trained version is kept in the model registry, so any can serve again later.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings

from recognizer import registry, selectors
from recognizer.drawings import drawing_storage
from recognizer.ml import evaluation, training
from recognizer.ml.decoding import DecodingError, decode_drawing
from recognizer.ml.serving import LoadedModel, ModelUnavailable
from recognizer.model_service import load_version
from recognizer.models import ModelVersion

logger = logging.getLogger(__name__)

# A drop in accuracy this small is noise, not a worse model: on the 450
# load_digits test images it is 4 drawings, while retraining with history
# can gain far more on what people really draw.
TOLERANCE = 0.01

Message = Callable[[str], None]

# Synthetic drawings per digit and background in the evaluation recorded with
# each model: about 30 seconds of rendering and scoring for 2,900 drawings.
EVALUATION_PER_CLASS = 100


@dataclass
class LabelledSet:
    name: str
    images: list[np.ndarray]
    labels: list[int]


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
class HistorySets:
    """Labelled drawings: those to learn from, and those held out to judge by."""

    images: list[np.ndarray]
    labels: list[int]
    held_out: LabelledSet
    skipped: int


@dataclass
class TrainingOutcome:
    result: training.TrainingResult
    model_version: ModelVersion
    previous_version: str | None
    comparison: Comparison
    evaluation: dict[str, evaluation.Evaluation]
    activated: bool
    history_used: int
    history_skipped: int


def decode_ink(data: bytes) -> np.ndarray:
    """Return the ink array of a drawing's bytes (PNG, JPEG or WebP), decoded as the API does."""
    return decode_drawing(data, max_side=settings.MAX_IMAGE_SIDE).ink


def history_images(items: Sequence[selectors.LabelledDrawing]) -> tuple[list, list[int], int]:
    """Decode stored drawings into ink arrays; returns (images, labels, skipped).

    Features are derived again from the drawings rather than taken from the
    rows, so that they always match the preprocessing being trained.
    """
    storage = drawing_storage()
    images, labels, skipped = [], [], 0
    for item in items:
        try:
            with storage.open(item.drawing, "rb") as file:
                images.append(decode_ink(file.read()))
        except (OSError, DecodingError) as error:
            logger.warning("drawing %s skipped: %s", item.id, error)
            skipped += 1
            continue
        labels.append(item.label)
    return images, labels, skipped


def current_model() -> LoadedModel | None:
    """Return the model in service, if there is one this code can run."""
    try:
        return load_version()
    except ModelUnavailable:
        return None


def history_sets(with_history: bool) -> HistorySets:
    """Return the labelled drawings to learn from (if asked) and those held out."""
    train_items, held_out_items = selectors.labelled_drawings()
    images, labels, skipped = history_images(train_items if with_history else [])
    held_out_images, held_out_labels, held_out_skipped = history_images(held_out_items)
    held_out = LabelledSet("held-out history", held_out_images, held_out_labels)
    return HistorySets(images, labels, held_out, skipped + held_out_skipped)


def compare(
    new_pipeline: object, current_pipeline: object | None, sets: list[LabelledSet]
) -> Comparison:
    comparison = Comparison()
    for labelled in sets:
        if not labelled.labels:
            continue
        new = training.accuracy(new_pipeline, labelled.images, labelled.labels)
        current = (
            None
            if current_pipeline is None
            else training.accuracy(current_pipeline, labelled.images, labelled.labels)
        )
        comparison.rows.append((labelled.name, len(labelled.labels), current, new))
    return comparison


def evaluate(pipeline: object, per_class: int | None = None) -> dict[str, evaluation.Evaluation]:
    """Scores on every drawing-like evaluation set, by set name; ``per_class``
    synthetic drawings per digit (default EVALUATION_PER_CLASS)."""
    sets = evaluation.standard_sets(decode_ink, n_per_class=per_class or EVALUATION_PER_CLASS)
    return {
        name: evaluation.evaluate(pipeline, images, labels)
        for name, (images, labels) in sets.items()
    }


def evaluation_metadata(scores: dict[str, evaluation.Evaluation]) -> dict[str, dict]:
    """The figures kept with a model and shown by /api/model/."""
    return {
        name: {
            "samples": score.n,
            "accuracy": round(score.accuracy, 4),
            "per_class": [round(value, 4) for value in score.per_class],
            "calibration_error": round(score.ece, 4),
            "confusion": score.confusion,
        }
        for name, score in scores.items()
    }


def train_model(
    *,
    trained_by: str,
    with_history: bool = False,
    history_repeat: int | None = None,
    force: bool = False,
    fast: bool = False,
    run_evaluation: bool = True,
    message: Message = lambda text: None,
    progress: training.Stage = lambda stage, done, total: None,
) -> TrainingOutcome:
    """Train, register, compare with the model in service, and activate if not worse.

    ``fast`` trains a small model in seconds (for tests and trying things
    out); ``run_evaluation`` False skips the drawing-like evaluation sets.
    """
    # The held-out history judges every new model, trained on history or not.
    history = history_sets(with_history)
    if with_history:
        message(
            f"history: {len(history.labels)} labelled drawings to learn from, "
            f"{len(history.held_out.labels)} held out to judge by"
        )
    options = training.FAST_OPTIONS if fast else {"factor": settings.TRAINING_AUGMENTATION_FACTOR}
    repeat = settings.HISTORY_REPEAT if history_repeat is None else history_repeat
    result = training.train(
        seed=settings.TRAINING_SEED,
        n_jobs=settings.TRAINING_JOBS,
        progress=progress,
        extra_images=history.images,
        extra_labels=history.labels,
        extra_repeat=repeat,
        **options,
    )
    _, test_images, _, test_labels = training.digits_split()
    test_set = LabelledSet("load_digits test split", list(test_images), test_labels.tolist())
    current = current_model()
    comparison = compare(
        result.pipeline, current and current.pipeline, [test_set, history.held_out]
    )
    result.metadata["comparison"] = comparison.as_metadata()
    result.metadata["fast"] = fast  # a quick model, which make run replaces with a full one
    scores = {}
    if run_evaluation:
        message("Evaluating on drawing-like sets (none of them trained on)...")
        scores = evaluate(result.pipeline)
        result.metadata["evaluation"] = evaluation_metadata(scores)
    model_version = registry.model_version_create(
        pipeline=result.pipeline, metadata=result.metadata, trained_by=trained_by
    )
    activated = force or current is None or not comparison.new_is_worse
    if activated:
        registry.model_version_activate(version=model_version.version, via="train_model")
    return TrainingOutcome(
        result=result,
        model_version=model_version,
        previous_version=current.version if current else None,
        comparison=comparison,
        evaluation=scores,
        activated=activated,
        history_used=len(history.labels),
        history_skipped=history.skipped,
    )
