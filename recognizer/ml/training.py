"""Build and train the recognition pipeline from load_digits (and users' corrections).

The saved model is a single `Pipeline` from ink images to a digit: its first
step ("features") is the preprocessing, then the classifier. Only load_digits
(augmented) and drawings people corrected are ever trained on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import accuracy_score, classification_report
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from recognizer.ml import artifacts
from recognizer.ml.augmentation import augmented_features
from recognizer.ml.ensemble import MLPEnsemble
from recognizer.ml.preprocessing import DigitFeatures

DEFAULT_FACTOR = 20  # distorted copies per training image: the full setting
FAST_FACTOR = 1  # with FAST_CLASSIFIER: a few seconds, for tests
FAST_CLASSIFIER = {"n_members": 1, "max_iter": 30}
FAST_OPTIONS = {"factor": FAST_FACTOR, "classifier_params": FAST_CLASSIFIER, "cv_folds": 2}
DIGITS_TRAINING_IMAGES = 1347  # load_digits' 75% training split
EXTRA_REPEAT = 10  # how much one user-corrected drawing weighs vs one source image

Stage = Callable[[str, int, int], None]  # progress(stage, done, total) of a training


@dataclass
class TrainingResult:
    pipeline: Pipeline
    metadata: dict[str, Any]
    test_report: str  # classification report on the held-out 25% of load_digits


def digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """load_digits as ink images (0..1): X_train, X_test, y_train, y_test.

    The 25% test split (random_state=42) is never trained on, nor distorted.
    """
    digits = load_digits()
    return train_test_split(digits.images / 16.0, digits.target, test_size=0.25, random_state=42)


def build_pipeline(**classifier_params: Any) -> Pipeline:
    """The untrained pipeline: 8x8 features, then the MLP ensemble."""
    return Pipeline(
        [("features", DigitFeatures()), ("classifier", MLPEnsemble(**classifier_params))]
    )


def accuracy(pipeline: Pipeline, images: Sequence[np.ndarray], labels: Sequence[int]) -> float:
    return float(accuracy_score(labels, pipeline.predict(list(images))))


@dataclass
class TrainingRows:
    """Feature rows to train on, with their labels and their groups: an image
    and its distorted copies are one group, as are the repeats of one drawing,
    so calibration folds hold out whole groups, never a copy of a row trained on."""

    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    originals: np.ndarray  # indices of the undistorted load_digits images


def training_rows(
    features: DigitFeatures,
    *,
    factor: int,
    seed: int,
    n_jobs: int | None,
    extra_images: Sequence[np.ndarray],
    extra_labels: Sequence[int],
    extra_repeat: int,
    progress: Stage,
) -> TrainingRows:
    """Return the 75% training split of load_digits, each image followed by
    ``factor`` distorted copies, then each extra drawing ``extra_repeat`` times."""
    if len(extra_images) != len(extra_labels):
        raise ValueError("extra_images and extra_labels differ in length")
    images, _, labels, _ = digits_split()
    X, y = augmented_features(
        images,
        labels,
        features,
        factor=factor,
        seed=seed,
        n_jobs=n_jobs,
        progress=lambda done, total: progress("augment", done, total),
    )
    # Corrected drawings are preprocessed like live ones, not distorted.
    extra_X = np.repeat(features.transform(extra_images), extra_repeat, axis=0)
    extra_y = np.repeat(np.asarray(extra_labels, dtype=y.dtype), extra_repeat)
    sources = len(images) + len(extra_images)
    groups = np.concatenate(
        [
            np.repeat(np.arange(len(images)), factor + 1),
            np.repeat(np.arange(len(images), sources), extra_repeat),
        ]
    )
    return TrainingRows(
        X=np.concatenate([X, extra_X]),
        y=np.concatenate([y, extra_y]),
        groups=groups,
        originals=np.arange(0, len(X), factor + 1),
    )


def cv_accuracy(classifier: MLPEnsemble, rows: TrainingRows) -> float | None:
    """Return the accuracy of the held-out guesses on the undistorted load_digits images."""
    if classifier.held_out_predictions_ is None:
        return None
    guesses = classifier.held_out_predictions_[rows.originals]
    return float(accuracy_score(rows.y[rows.originals], guesses))


def describe(pipeline: Pipeline, factor: int, seed: int) -> dict[str, Any]:
    """Return the metadata telling how a fitted pipeline was trained and what it learnt."""
    classifier: MLPEnsemble = pipeline.named_steps["classifier"]
    return {
        "algorithm": f"MLPEnsemble ({classifier.n_members} x MLPClassifier, averaged)",
        "parameters": {
            "classifier": classifier.get_params(),
            "features": pipeline.named_steps["features"].get_params(),
            "augmentation_factor": factor,
            "seed": seed,
        },
        "temperature": classifier.temperature_,
        "cv_folds": classifier.calibration_folds,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "libraries": artifacts.library_versions(),
        "format": artifacts.FORMAT,
    }


def training_data(factor: int, extra: int, extra_repeat: int) -> dict[str, Any]:
    """Return what a model learnt from, by source."""
    sources: dict[str, Any] = {
        "load_digits training split": {"images": DIGITS_TRAINING_IMAGES, "copies_each": factor}
    }
    if extra:
        sources["corrected drawings"] = {"images": extra, "repeat": extra_repeat}
    return sources


def train(
    factor: int = DEFAULT_FACTOR,
    seed: int = 0,
    n_jobs: int | None = -1,
    progress: Stage | None = None,
    extra_images: Sequence[np.ndarray] = (),
    extra_labels: Sequence[int] = (),
    extra_repeat: int = EXTRA_REPEAT,
    cv_folds: int = 3,
    classifier_params: dict[str, Any] | None = None,
) -> TrainingResult:
    """Train from nothing: augment the 75% training split, add extras, fit.

    ``n_jobs`` processes (joblib; -1: all cores) share the augmentation and the
    member fits. ``extra_images`` (users' corrected drawings, as ink arrays)
    with their ``extra_labels`` each count ``extra_repeat`` times.
    ``classifier_params`` override MLPEnsemble's defaults (FAST_CLASSIFIER with
    FAST_FACTOR trains in seconds). With ``cv_folds`` >= 2, the classifier's
    calibration folds give its temperature and the cross-validated accuracy.
    ``progress(stage, done, total)`` is called for "augment" and "fit".
    """
    started = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    pipeline = build_pipeline(
        **{
            "random_state": seed,
            "n_jobs": n_jobs,
            "calibration_folds": cv_folds,
            **(classifier_params or {}),
        }
    )
    rows = training_rows(
        pipeline.named_steps["features"],
        factor=factor,
        seed=seed,
        n_jobs=n_jobs,
        extra_images=extra_images,
        extra_labels=extra_labels,
        extra_repeat=extra_repeat,
        progress=report,
    )
    report("fit", 0, 1)
    classifier = pipeline.named_steps["classifier"].fit(rows.X, rows.y, groups=rows.groups)
    report("fit", 1, 1)
    _, X_test, _, y_test = digits_split()
    predicted = pipeline.predict(list(X_test))
    metadata = {
        **describe(pipeline, factor, seed),
        "cv_accuracy": cv_accuracy(classifier, rows),
        "training_data": training_data(factor, len(extra_labels), extra_repeat),
        "training_samples": len(rows.y),
        "history_samples": len(extra_labels),
        "history_repeat": extra_repeat if len(extra_labels) else 0,
        "test_samples": len(y_test),
        "test_accuracy": float(accuracy_score(y_test, predicted)),
        "train_seconds": round(time.perf_counter() - started, 1),
    }
    return TrainingResult(
        pipeline=pipeline,
        metadata=metadata,
        test_report=classification_report(y_test, predicted, digits=4),
    )
