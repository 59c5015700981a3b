"""Build and train the recognition pipeline from data sets: load_digits unless told otherwise.

The saved model is a single `Pipeline` from ink images to a digit: its first
step ("features") is the preprocessing, then the classifier. Every data set
keeps a part out of training (load_digits its test quarter, the history every
fifth labelled drawing, an imported data set a seeded share of each digit);
the rest is featurised a batch at a time (`featurising`), with distorted
copies of each image where the data are few.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import accuracy_score, classification_report
from sklearn.pipeline import Pipeline

from recognizer.ml import artifacts, defaults, featurising, nondigits
from recognizer.ml.augmentation import Augmenter, render_large
from recognizer.ml.datasets import (
    HELD_OUT,
    Dataset,
    DatasetSpec,
    open_dataset,
    split,
    suggested_factor,
)
from recognizer.ml.ensemble import MLPEnsemble
from recognizer.ml.listings import Problem, digits_test_indices
from recognizer.ml.novelty import NOT_A_DIGIT, NotADigit
from recognizer.ml.preprocessing import GRID, RECIPE, DigitFeatures
from recognizer.ml.progress import Progress
from recognizer.ml.synthetic import synthetic_drawing

FAST_FACTOR = 1  # with FAST_CLASSIFIER: a few seconds, for tests
FAST_CLASSIFIER = {"n_members": 1, "max_iter": 30}
FAST_OPTIONS = {
    "factor": FAST_FACTOR,
    "import_factor": FAST_FACTOR,
    "classifier_params": FAST_CLASSIFIER,
    "cv_folds": 2,
    "non_digits_per_kind": 25,
    "drawn_digits_per_class": 10,
}
# Input sizes allowed: each was measured at under 5 ms of CPU per prediction.
GRIDS = range(8, 21)
# Synthetic non-digits of each kind the refusal step learns from (its negatives),
# and synthetic pen-drawn digits of each class it learns are digits (beside the
# training rows), so that a digit drawn with a pen is not taken for a scribble.
NON_DIGITS_PER_KIND = 300
DRAWN_DIGITS_PER_CLASS = 150
DRAWN_DIGITS_SEED = 1  # the evaluation's synthetic digits use seed 0


@dataclass
class TrainingResult:
    pipeline: Pipeline
    metadata: dict[str, Any]
    test_report: str  # classification report on the held-out 25% of load_digits
    held_out: dict[str, featurising.Features]  # each data set's held-out part, as featurised
    problems: list[Problem]  # what was skipped, in every data set


def digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return load_digits as ink images (0..1): X_train, X_test, y_train, y_test.

    The test quarter (`listings.digits_test_indices`, the items the training listing
    holds out) is never trained on, nor distorted; both parts in load_digits' order.
    """
    digits = load_digits()
    test = digits_test_indices(len(digits.target))
    train = np.setdiff1d(np.arange(len(digits.target)), test)
    images = digits.images / 16.0
    return images[train], images[test], digits.target[train], digits.target[test]


def build_pipeline(grid: int = GRID, **classifier_params: Any) -> Pipeline:
    """Return the untrained pipeline: grid x grid features, the step that refuses
    what is no digit, then the MLP ensemble."""
    if grid not in GRIDS:
        raise ValueError(f"the input size must be {GRIDS[0]} to {GRIDS[-1]} cells a side")
    return Pipeline(
        [
            ("features", DigitFeatures(grid=grid)),
            ("refusal", NotADigit()),
            ("classifier", MLPEnsemble(**classifier_params)),
        ]
    )


def non_digit_rows(
    transform: featurising.Transform, per_kind: int = NON_DIGITS_PER_KIND
) -> np.ndarray:
    """Return the feature rows of the synthetic non-digits trained on (their own seed,
    never the evaluation set's); made once per process for each preprocessing."""

    def make() -> featurising.Features:
        images, _ = nondigits.non_digits(per_kind, nondigits.TRAINING_SEED)
        return rows_of(transform, images, np.zeros(len(images), dtype=np.int64))

    return featurising.remembered(synthetic_key(transform, "non-digits", per_kind), make).X


def drawn_digit_rows(
    transform: featurising.Transform, per_class: int = DRAWN_DIGITS_PER_CLASS
) -> tuple[np.ndarray, np.ndarray]:
    """Return the feature rows and digits of synthetic pen-drawn digits for the refusal
    step (a seed of their own, never the evaluation set's; the classifier never sees
    them); made once per process for each preprocessing."""
    labels = np.tile(np.arange(10), per_class)

    def make() -> featurising.Features:
        images = [
            np.asarray(
                synthetic_drawing(int(digit), np.random.default_rng([DRAWN_DIGITS_SEED, i]))
            )[..., 3]
            / 255.0
            for i, digit in enumerate(labels)
        ]
        return rows_of(transform, images, labels)

    drawn = featurising.remembered(synthetic_key(transform, "drawn digits", per_class), make)
    return drawn.X, labels


def synthetic_key(transform: featurising.Transform, kind: str, count: int) -> tuple | None:
    """Return the cache key of the rows of ``count`` synthetic drawings of a kind."""
    made_by = featurising.transform_key(transform)
    return None if made_by is None else (kind, count, made_by)


def rows_of(
    transform: featurising.Transform, images: list[np.ndarray], labels: np.ndarray
) -> featurising.Features:
    """Return the feature rows of images made here (empty for none)."""
    X = transform(images) if images else np.zeros((0, 0))
    return featurising.Features(X, labels, np.arange(len(labels)), [])


def fit_steps(
    pipeline: Pipeline,
    imported: featurising.Imported,
    negatives: np.ndarray,
    drawn: tuple[np.ndarray, np.ndarray] | None = None,
) -> MLPEnsemble:
    """Fit the refusal step on every row, the ``drawn`` digits and the negatives, the
    classifier on the digit rows only; return the classifier. Rows labelled
    NOT_A_DIGIT are negatives too."""
    drawn_X, drawn_y = drawn if drawn is not None and len(drawn[1]) else (None, None)
    parts = [(imported.X, imported.y)]
    if drawn_X is not None:
        parts.append((drawn_X, drawn_y))
    parts.append((negatives, np.full(len(negatives), NOT_A_DIGIT)))
    X = np.concatenate([rows for rows, _ in parts])
    y = np.concatenate([labels for _, labels in parts])
    first = imported.groups.max() + 1 if len(imported.groups) else 0
    groups = np.concatenate([imported.groups, first + np.arange(len(X) - len(imported.X))])
    pipeline["refusal"].fit(X, y, groups=groups)
    digits = imported.y != NOT_A_DIGIT
    return pipeline["classifier"].fit(
        imported.X[digits], imported.y[digits], groups=imported.groups[digits]
    )


def input_grid(metadata: dict) -> int:
    """Return the grid a model's metadata says its input was counted on (models from
    before the grid was a parameter used GRID)."""
    return int(metadata.get("parameters", {}).get("features", {}).get("grid", GRID))


def copies_by_source(
    datasets: Sequence[Dataset], *, factor: int, import_factor: int | None, held_out: float
) -> dict[str, int]:
    """Return the distorted copies of each training image, by data set: ``factor`` for
    load_digits, none for the history (its drawings are repeated instead), and for
    imported data sets ``import_factor`` or, if None, what brings all their training
    images together to about AUGMENTED_ROWS rows."""
    imported = [dataset for dataset in datasets if dataset.spec.imported]
    if import_factor is None:
        images = sum(len(split(dataset, held_out)[0]) for dataset in imported)
        import_factor = suggested_factor(images)
    copies = {"digits": factor, "history": 0}
    return {dataset.name: copies.get(dataset.spec.kind, import_factor) for dataset in datasets}


def augmenter(
    dataset: Dataset,
    *,
    features: DigitFeatures,
    copies: dict[str, int],
    seed: int,
    history_repeat: int,
) -> Augmenter:
    """Return the transform of a data set's training images (``copies``: by data set name)."""
    if dataset.spec.kind == "digits":
        # The 8x8 images are redrawn large, as people draw, originals included.
        return Augmenter(
            features, copies[dataset.name], seed, redraw=render_large, redraw_original=True
        )
    if dataset.spec.kind == "history":
        # Corrected drawings are preprocessed like live ones, not distorted.
        return Augmenter(features, repeat=history_repeat)
    return Augmenter(features, copies[dataset.name], seed)


def cv_accuracy(classifier: MLPEnsemble, y: np.ndarray, groups: np.ndarray) -> float | None:
    """Return the accuracy of the held-out guesses on the undistorted training images
    (the first row of each group)."""
    if classifier.held_out_predictions_ is None:
        return None
    originals = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    return float(accuracy_score(y[originals], classifier.held_out_predictions_[originals]))


def describe(pipeline: Pipeline, *, factor: int, held_out: float, seed: int) -> dict[str, Any]:
    """Return the metadata telling how a fitted pipeline was trained and what it learnt."""
    classifier: MLPEnsemble = pipeline.named_steps["classifier"]
    return {
        "algorithm": f"MLPEnsemble ({classifier.n_members} x MLPClassifier, averaged)",
        "parameters": {
            "classifier": classifier.get_params(),
            "features": pipeline.named_steps["features"].get_params(),
            "refusal": pipeline.named_steps["refusal"].get_params(),
            "augmentation_factor": factor,
            "held_out": held_out,
            "seed": seed,
        },
        "temperature": classifier.temperature_,
        "refusal": refusal_description(pipeline["refusal"]),
        "cv_folds": classifier.calibration_folds,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "libraries": artifacts.library_versions(),
        "format": artifacts.FORMAT,
        "recipe": RECIPE,
    }


def refusal_description(refusal: NotADigit) -> dict[str, Any]:
    """Return what tells a non-digit: the method, its threshold and how it did on the
    rows it held out to choose that threshold."""
    return {
        "method": refusal.method,
        "threshold": refusal.threshold_,
        "held_out_refused": refusal.held_out_refused_,
    }


def training_data(
    records: list[dict], copies: dict[str, int], history_repeat: int
) -> dict[str, dict]:
    """Return what a model learnt from, by data set: each one's provenance and how it was
    used (distorted copies of each image, or how many times each drawing counts)."""
    data = {}
    for record in records:
        use = (
            {"repeat": history_repeat}
            if record["kind"] == "history"
            else {"copies_each": copies[record["source"]]}
        )
        data[record["source"]] = {**record, **use}
    return data


def digits_test_guesses(pipeline: Pipeline) -> tuple[np.ndarray, np.ndarray]:
    """Return load_digits' held-out quarter's labels and the pipeline's guesses of it."""
    _, X_test, _, y_test = digits_split()
    return y_test, pipeline.predict(list(X_test))


def train(
    datasets: Sequence[Dataset] | None = None,
    *,
    factor: int = defaults.AUGMENTATION_FACTOR,
    import_factor: int | None = None,
    history_repeat: int = defaults.HISTORY_REPEAT,
    grid: int = GRID,
    held_out: float = HELD_OUT,
    seed: int = 0,
    n_jobs: int | None = -1,
    cv_folds: int = 3,
    classifier_params: dict[str, Any] | None = None,
    non_digits_per_kind: int = NON_DIGITS_PER_KIND,
    drawn_digits_per_class: int = DRAWN_DIGITS_PER_CLASS,
    progress: Progress | None = None,
) -> TrainingResult:
    """Train from nothing on ``datasets`` (default: load_digits) and return the result.

    Distorted copies: ``factor`` of each load_digits training image,
    ``import_factor`` of each imported one (None: see `copies_by_source`); each
    labelled drawing counts ``history_repeat`` times; ``held_out`` of each
    imported data set is kept out. ``n_jobs`` processes (-1: all cores) share the
    featurising and the fits. ``classifier_params`` override MLPEnsemble's
    defaults; ``cv_folds`` >= 2 gives its temperature and the cross-validated
    accuracy. ``non_digits_per_kind``: synthetic non-digits of each kind that the
    refusal step learns from, ``drawn_digits_per_class`` synthetic pen-drawn digits
    it learns are digits. ``progress(stage, done, total)``: "train:DATASET",
    "held-out:DATASET", "fit". Raises DatasetError if no data set has a usable image.
    """
    started = time.perf_counter()
    datasets = datasets or [open_dataset(DatasetSpec("digits"))]
    report = progress or (lambda stage, done, total: None)
    params = {"random_state": seed, "n_jobs": n_jobs, "calibration_folds": cv_folds}
    pipeline = build_pipeline(grid, **params, **(classifier_params or {}))
    features = pipeline.named_steps["features"]
    copies = copies_by_source(
        datasets, factor=factor, import_factor=import_factor, held_out=held_out
    )
    imported = featurising.import_datasets(
        datasets,
        features.transform,
        augment=partial(
            augmenter, features=features, copies=copies, seed=seed, history_repeat=history_repeat
        ),
        held_out=held_out,
        n_jobs=n_jobs,
        progress=report,
    )
    report("fit", 0, 1)
    negatives = non_digit_rows(features.transform, non_digits_per_kind)
    drawn = drawn_digit_rows(features.transform, drawn_digits_per_class)
    classifier = fit_steps(pipeline, imported, negatives, drawn)
    report("fit", 1, 1)
    digits = imported.y != NOT_A_DIGIT
    y_test, predicted = digits_test_guesses(pipeline)
    data = training_data(imported.provenance, copies, history_repeat)
    history = data.get("history", {}).get("images", 0)
    metadata = {
        **describe(pipeline, factor=factor, held_out=held_out, seed=seed),
        "cv_accuracy": cv_accuracy(classifier, imported.y[digits], imported.groups[digits]),
        "training_data": data,
        "training_samples": len(imported.y),
        "history_samples": history,
        "history_repeat": history_repeat if history else 0,
        "test_samples": len(y_test),
        "test_accuracy": float(accuracy_score(y_test, predicted)),
        "train_seconds": round(time.perf_counter() - started, 1),
    }
    metadata["parameters"]["non_digits_per_kind"] = non_digits_per_kind
    metadata["parameters"]["drawn_digits_per_class"] = drawn_digits_per_class
    metadata["refusal"]["drawn_digits"] = len(drawn[1])
    metadata["refusal"]["negatives"] = {
        "synthetic": len(negatives),
        "labelled_rows": int((~digits).sum()),
    }
    test_report = classification_report(y_test, predicted, digits=4)
    return TrainingResult(pipeline, metadata, test_report, imported.held_out, imported.problems)
