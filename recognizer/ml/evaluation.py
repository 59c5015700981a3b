"""Accuracy and calibration of a fitted pipeline on drawing-like sets and on data sets."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np
from sklearn.metrics import confusion_matrix
from sklearn.pipeline import Pipeline

from recognizer.ml.calibration import calibration
from recognizer.ml.canvas import UPSCALING, canvas_png, enlarge
from recognizer.ml.datasets import Dataset
from recognizer.ml.featurising import Features, featurise
from recognizer.ml.listings import Problem
from recognizer.ml.progress import StageProgress
from recognizer.ml.synthetic import synthetic_digit_sets
from recognizer.ml.training import digits_split

Decoder = Callable[[bytes], np.ndarray]


def drawn_large_set(mode: str, decode: Decoder) -> tuple[list[np.ndarray], np.ndarray]:
    """The held-out 25% of load_digits, each drawn 280x280 dark on white as a PNG
    and decoded by ``decode`` (the app's PNG -> ink function)."""
    pngs, labels = drawn_large_pngs(mode)
    return [decode(png) for png in pngs], labels


@cache
def drawn_large_pngs(mode: str) -> tuple[tuple[bytes, ...], np.ndarray]:
    """The held-out 25% of load_digits drawn 280x280 as PNGs, and their labels; drawn
    once per process (every model a worker trains is scored on the same ones)."""
    _, X_test, _, y_test = digits_split()
    return tuple(canvas_png(enlarge(image, mode)) for image in X_test), y_test


@cache
def synthetic_pngs(n_per_class: int, seed: int) -> tuple[dict[str, list[bytes]], np.ndarray]:
    """The synthetic evaluation drawings as PNGs by background, and their labels;
    rendered once per process."""
    return synthetic_digit_sets(n_per_class, seed)


def standard_sets(
    decode: Decoder, n_per_class: int = 100, seed: int = 0
) -> dict[str, tuple[list[np.ndarray], np.ndarray]]:
    """Every evaluation set, by name: load_digits' test split drawn large
    (nearest and bilinear upscaling) and the synthetic stroke-drawn digits on a
    transparent and on a white background. None of them is trained on."""
    sets = {
        f"load_digits test, drawn large ({mode})": drawn_large_set(mode, decode)
        for mode in UPSCALING
    }
    pngs, labels = synthetic_pngs(n_per_class, seed)
    for background, drawings in pngs.items():
        sets[f"synthetic strokes ({background})"] = ([decode(png) for png in drawings], labels)
    return sets


@dataclass
class Evaluation:
    """Scores of a pipeline on one labelled set."""

    accuracy: float
    per_class: list[float]
    confusion: list[list[int]]
    ece: float  # expected calibration error of the top probability, 10 bins
    reliability: list[dict[str, float]] = field(default_factory=list)
    n: int = 0


def evaluate(pipeline: Pipeline, images: Sequence[np.ndarray], labels: np.ndarray) -> Evaluation:
    """Return the accuracy, per-class accuracy, confusion matrix and calibration on a set."""
    return scores(pipeline.predict_proba(images), pipeline.classes_, labels)


def scores(proba: np.ndarray, classes: np.ndarray, labels: np.ndarray) -> Evaluation:
    """Return the figures of a set from its predicted probabilities (columns: ``classes``)."""
    labels = np.asarray(labels)
    if not len(labels):
        return Evaluation(accuracy=0.0, per_class=[0.0] * 10, confusion=[[0] * 10] * 10, ece=0.0)
    predicted = classes[proba.argmax(axis=1)]
    cm = confusion_matrix(labels, predicted, labels=np.arange(10))
    per_class = cm.diagonal() / np.maximum(cm.sum(axis=1), 1)
    ece, table = calibration(proba, labels)
    return Evaluation(
        accuracy=float((predicted == labels).mean()),
        per_class=[float(v) for v in per_class],
        confusion=cm.tolist(),
        ece=ece,
        reliability=table,
        n=len(labels),
    )


def score_dataset(
    pipeline: Pipeline,
    dataset: Dataset,
    indices: np.ndarray | None = None,
    *,
    features: Features | None = None,
    n_jobs: int | None = None,
    progress: StageProgress | None = None,
) -> tuple[Evaluation, list[Problem]]:
    """Return the figures of a pipeline on a data set's items (``indices``; default all),
    decoded and preprocessed a batch at a time, and what was skipped. ``features``:
    the items' rows as this pipeline's preprocessing made them already."""
    if features is None:
        features = featurise(
            dataset, pipeline[:1].transform, indices, n_jobs=n_jobs, progress=progress
        )
    proba = pipeline[1:].predict_proba(features.X) if len(features.y) else np.zeros((0, 10))
    return scores(proba, pipeline.classes_, features.y), features.problems
