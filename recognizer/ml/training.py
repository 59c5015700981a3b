"""Build and train the recognition pipeline from load_digits (and users' corrections).

The saved model is a single `Pipeline` from ink images to a digit: its first
step ("features") is the preprocessing, then the classifier. Only load_digits
(augmented) and drawings people corrected are ever trained on.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import PIL
import scipy
import sklearn
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.metrics import accuracy_score, classification_report
from sklearn.model_selection import KFold, train_test_split
from sklearn.pipeline import Pipeline

from recognizer.ml.augmentation import augmented_features
from recognizer.ml.ensemble import MLPEnsemble, softmax_mean
from recognizer.ml.preprocessing import DigitFeatures

DEFAULT_FACTOR = 20  # distorted copies per training image: the full setting
FAST_FACTOR = 1  # with FAST_CLASSIFIER: a few seconds, for tests
FAST_CLASSIFIER = {"n_members": 1, "max_iter": 30}
FAST_OPTIONS = {"factor": FAST_FACTOR, "classifier_params": FAST_CLASSIFIER, "cv_folds": 2}
EXTRA_REPEAT = 10  # how much one user-corrected drawing weighs vs one source image
TEMPERATURES = np.geomspace(0.5, 8.0, 81)  # candidates for the calibration

Stage = Callable[[str, int, int], None]


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


def library_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "pillow": PIL.__version__,
    }


def _fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature with the lowest log-loss of the averaged probabilities."""
    rows = np.arange(len(labels))
    losses = [-np.log(softmax_mean(logits, t)[rows, labels] + 1e-12).mean() for t in TEMPERATURES]
    return float(TEMPERATURES[int(np.argmin(losses))])


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
    member fits.
    ``extra_images`` (users' corrected drawings, as ink arrays) with their
    ``extra_labels`` are preprocessed like live drawings, not distorted, and
    each counts ``extra_repeat`` times.
    ``classifier_params`` override MLPEnsemble's defaults (FAST_CLASSIFIER with
    FAST_FACTOR trains in seconds). With ``cv_folds`` >= 2, the folds give the
    cross-validated accuracy and the data to calibrate the probabilities on.
    ``progress(stage, done, total)`` is called for "augment", "cross-validate"
    and "fit".
    """
    started = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    pipeline = build_pipeline(
        **{"random_state": seed, "n_jobs": n_jobs, **(classifier_params or {})}
    )
    features: DigitFeatures = pipeline.named_steps["features"]
    classifier: MLPEnsemble = pipeline.named_steps["classifier"]
    X_train, X_test, y_train, y_test = digits_split()
    X, y = augmented_features(
        X_train,
        y_train,
        features,
        factor=factor,
        seed=seed,
        n_jobs=n_jobs,
        progress=lambda done, total: report("augment", done, total),
    )
    if len(extra_images) != len(extra_labels):
        raise ValueError("extra_images and extra_labels differ in length")
    if len(extra_images):
        extra_X = np.repeat(features.transform(extra_images), extra_repeat, axis=0)
        extra_y = np.repeat(np.asarray(extra_labels, dtype=y.dtype), extra_repeat)
    else:
        extra_X, extra_y = np.zeros((0, X.shape[1])), np.zeros(0, dtype=y.dtype)

    cv_accuracy = None
    if cv_folds >= 2:
        # Folds split source images, so no distorted copy of a held-out image is
        # trained on. Accuracy is scored on the held-out originals; the
        # temperature is fitted on all held-out rows, whose distortions make
        # them harder, closer to real drawings than the clean originals.
        source = np.repeat(np.arange(len(X_train)), factor + 1)
        original = np.arange(len(X)) % (factor + 1) == 0
        folds = KFold(cv_folds, shuffle=True, random_state=seed).split(X_train)
        held_logits, held_y, held_original = [], [], []
        for k, (train_idx, test_idx) in enumerate(folds):
            report("cross-validate", k, cv_folds)
            fit_rows, held = np.isin(source, train_idx), np.isin(source, test_idx)
            member = clone(classifier).fit(
                np.concatenate([X[fit_rows], extra_X]), np.concatenate([y[fit_rows], extra_y])
            )
            held_logits.append(member.logits(X[held]))
            held_y.append(y[held])
            held_original.append(original[held])
        report("cross-validate", cv_folds, cv_folds)
        logits = np.concatenate(held_logits, axis=1)
        labels, is_original = np.concatenate(held_y), np.concatenate(held_original)
        temperature = _fit_temperature(logits, np.searchsorted(np.unique(y), labels))
        classifier.set_params(temperature=temperature)
        predicted = np.unique(y)[softmax_mean(logits[:, is_original], temperature).argmax(axis=1)]
        cv_accuracy = float((predicted == labels[is_original]).mean())

    report("fit", 0, 1)
    X_all, y_all = np.concatenate([X, extra_X]), np.concatenate([y, extra_y])
    classifier.fit(X_all, y_all)
    classifier.set_params(n_jobs=None)  # the artifact predicts in-process
    report("fit", 1, 1)
    predicted_test = pipeline.predict(list(X_test))
    metadata = {
        "algorithm": f"MLPEnsemble ({classifier.n_members} x MLPClassifier, averaged)",
        "parameters": {
            "classifier": classifier.get_params(),
            "features": features.get_params(),
            "augmentation_factor": factor,
            "seed": seed,
        },
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "training_samples": len(y_all),
        "test_samples": len(y_test),
        "history_samples": len(extra_labels),
        "history_repeat": extra_repeat if len(extra_labels) else 0,
        "cv_accuracy": cv_accuracy,
        "cv_folds": cv_folds,
        "test_accuracy": float(accuracy_score(y_test, predicted_test)),
        "train_seconds": round(time.perf_counter() - started, 1),
        "libraries": library_versions(),
    }
    return TrainingResult(
        pipeline=pipeline,
        metadata=metadata,
        test_report=classification_report(y_test, predicted_test, digits=4),
    )
