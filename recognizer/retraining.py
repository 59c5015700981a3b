"""Train models (optionally on the corrected history) and put them in service.

A new model is compared with the one in service on two sets neither was
trained on: the held-out quarter of load_digits and the held-out part of the
labelled history. It replaces it only if it is at least as good on both,
unless forced. Every trained artifact is kept, so any version can be
activated again later.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings

from recognizer import selectors
from recognizer.ml import artifacts, training
from recognizer.ml.decoding import DecodingError, decode_drawing
from recognizer.models import Prediction

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass
class EvaluationSet:
    name: str
    images: list[np.ndarray]
    labels: list[int]


@dataclass
class Comparison:
    """Accuracy of the new and the current model on each evaluation set."""

    rows: list[tuple[str, int, float | None, float]] = field(default_factory=list)

    @property
    def new_is_worse(self) -> bool:
        return any(current is not None and new < current for _, _, current, new in self.rows)


@dataclass
class TrainingOutcome:
    result: training.TrainingResult
    artifact: artifacts.Artifact
    previous_version: str | None
    comparison: Comparison
    activated: bool
    history_used: int
    history_skipped: int


def history_images(items: Sequence[selectors.LabelledDrawing]) -> tuple[list, list[int], int]:
    """Decode stored drawings into ink arrays; returns (images, labels, skipped).

    Features are derived again from the drawings rather than taken from the
    rows, so that they always match the preprocessing being trained.
    """
    storage = Prediction._meta.get_field("drawing").storage
    images, labels, skipped = [], [], 0
    for item in items:
        try:
            with storage.open(item.drawing, "rb") as file:
                images.append(decode_drawing(file.read(), max_side=settings.MAX_IMAGE_SIDE).ink)
        except (OSError, DecodingError) as error:
            logger.warning("drawing %s skipped: %s", item.id, error)
            skipped += 1
            continue
        labels.append(item.label)
    return images, labels, skipped


def current_model(directory: Path) -> tuple[str, object] | None:
    try:
        version = artifacts.active_version(directory)
        pipeline, _ = artifacts.load_artifact(directory, version)
    except artifacts.ArtifactError:
        return None
    return version, pipeline


def compare(
    new_pipeline: object, current_pipeline: object | None, sets: list[EvaluationSet]
) -> Comparison:
    comparison = Comparison()
    for evaluation in sets:
        if not evaluation.labels:
            continue
        new = training.accuracy(new_pipeline, evaluation.images, evaluation.labels)
        current = (
            None
            if current_pipeline is None
            else training.accuracy(current_pipeline, evaluation.images, evaluation.labels)
        )
        comparison.rows.append((evaluation.name, len(evaluation.labels), current, new))
    return comparison


def train_model(
    *,
    with_history: bool = False,
    history_repeat: int | None = None,
    force: bool = False,
    progress: Progress = lambda message: None,
) -> TrainingOutcome:
    """Train, save, compare with the model in service, and activate if not worse."""
    directory = Path(settings.MODEL_DIR)
    repeat = settings.HISTORY_REPEAT if history_repeat is None else history_repeat
    # The held-out history judges every new model, trained on history or not.
    train_items, held_out_items = selectors.labelled_history()
    extra_images, extra_labels, skipped = history_images(train_items if with_history else [])
    held_out_images, held_out_labels, held_out_skipped = history_images(held_out_items)
    if with_history:
        progress(
            f"history: {len(extra_labels)} labelled drawings to learn from, "
            f"{len(held_out_labels)} held out to judge by"
        )

    result = training.train(
        progress,
        extra_images=extra_images,
        extra_labels=extra_labels,
        extra_repeat=repeat,
    )
    _, test_images, _, test_labels = training.split_digits(*training.load_digit_images())
    sets = [
        EvaluationSet("load_digits test split", test_images, list(test_labels)),
        EvaluationSet("held-out history", held_out_images, held_out_labels),
    ]
    current = current_model(directory)
    comparison = compare(result.pipeline, current[1] if current else None, sets)
    result.metadata["evaluation"] = {
        name: {"samples": samples, "accuracy": new} for name, samples, _, new in comparison.rows
    }

    artifact = artifacts.save_artifact(result.pipeline, result.metadata, directory)
    activated = force or current is None or not comparison.new_is_worse
    if activated:
        artifacts.activate(directory, artifact.version)
    return TrainingOutcome(
        result=result,
        artifact=artifact,
        previous_version=current[0] if current else None,
        comparison=comparison,
        activated=activated,
        history_used=len(extra_labels),
        history_skipped=skipped + held_out_skipped,
    )
