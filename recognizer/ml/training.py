"""Train the recognizer on scikit-learn's digits set.

The saved model is a single `Pipeline` from ink arrays to a digit: its
first step ("features") is the preprocessing, the rest the classifier.
"""

import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import PIL
import sklearn
from sklearn.datasets import load_digits
from sklearn.metrics import accuracy_score, classification_report
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline

from recognizer.ml.preprocessing import DigitFeatures

TEST_SIZE = 0.25
SPLIT_SEED = 42
CANDIDATE_NEIGHBOURS = tuple(range(1, 11))
CV_FOLDS = 5

Progress = Callable[[str], None]


@dataclass
class TrainingResult:
    pipeline: Pipeline
    metadata: dict
    cv_accuracy_by_k: dict[int, float] = field(default_factory=dict)
    test_report: str = ""


def load_digit_images() -> tuple[list[np.ndarray], np.ndarray]:
    """`load_digits` as ink arrays in [0, 1] (its values are counts 0..16)."""
    digits = load_digits()
    return [image / 16.0 for image in digits.images], digits.target


def split_digits(
    images: Sequence[np.ndarray], labels: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray]:
    """The fixed split: 25% held out, random_state 42, as the tutorial did."""
    return train_test_split(list(images), labels, test_size=TEST_SIZE, random_state=SPLIT_SEED)


def build_pipeline(n_neighbors: int) -> Pipeline:
    return Pipeline(
        [
            ("features", DigitFeatures()),
            ("classifier", KNeighborsClassifier(n_neighbors=n_neighbors, weights="distance")),
        ]
    )


def library_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "pillow": PIL.__version__,
    }


def accuracy(pipeline: Pipeline, images: Sequence[np.ndarray], labels: Sequence[int]) -> float:
    return float(accuracy_score(labels, pipeline.predict(list(images))))


def train(
    progress: Progress = lambda message: None,
    *,
    extra_images: Sequence[np.ndarray] = (),
    extra_labels: Sequence[int] = (),
    extra_repeat: int = 1,
) -> TrainingResult:
    """Choose k by cross-validation, fit, and measure on the held-out split.

    `extra_images` (with `extra_labels`) are drawings people corrected; they
    join the training data `extra_repeat` times, so that a few of them weigh
    against the many training images. k is chosen on load_digits alone:
    repeated samples would leak between cross-validation folds.
    """
    started = time.perf_counter()
    images, labels = load_digit_images()
    train_images, test_images, train_labels, test_labels = split_digits(images, labels)
    progress(f"load_digits: {len(train_images)} training and {len(test_images)} held-out images")

    # The features step is stateless, so it is computed once for every k.
    features = DigitFeatures()
    train_features = features.transform(train_images)
    progress(f"Cross-validating k = 1..{CANDIDATE_NEIGHBOURS[-1]} ({CV_FOLDS} folds)...")
    cv_accuracy_by_k = {}
    for k in CANDIDATE_NEIGHBOURS:
        scores = cross_val_score(
            KNeighborsClassifier(n_neighbors=k, weights="distance"),
            train_features,
            train_labels,
            cv=CV_FOLDS,
        )
        cv_accuracy_by_k[k] = float(scores.mean())
    # Ties go to the smaller k, the simpler model.
    best_k = max(cv_accuracy_by_k, key=lambda k: (cv_accuracy_by_k[k], -k))

    fit_features, fit_labels = train_features, np.asarray(train_labels)
    if len(extra_images):
        progress(f"adding {len(extra_images)} corrected drawings, each {extra_repeat} times")
        extra_features = np.repeat(features.transform(extra_images), extra_repeat, axis=0)
        fit_features = np.vstack([train_features, extra_features])
        fit_labels = np.concatenate([fit_labels, np.repeat(extra_labels, extra_repeat)])
    pipeline = build_pipeline(best_k)
    pipeline.named_steps["classifier"].fit(fit_features, fit_labels)
    predicted = pipeline.predict(test_images)
    test_accuracy = float(accuracy_score(test_labels, predicted))
    report = classification_report(test_labels, predicted, digits=4)

    classifier = pipeline.named_steps["classifier"]
    metadata = {
        "algorithm": type(classifier).__name__,
        "parameters": {
            "features": pipeline.named_steps["features"].get_params(),
            "classifier": classifier.get_params(),
        },
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "training_samples": len(fit_labels),
        "history_samples": len(extra_images),
        "history_repeat": extra_repeat if len(extra_images) else 0,
        "test_samples": len(test_images),
        "cv_folds": CV_FOLDS,
        "cv_accuracy": cv_accuracy_by_k[best_k],
        "cv_accuracy_by_k": {str(k): v for k, v in cv_accuracy_by_k.items()},
        "test_accuracy": test_accuracy,
        "train_seconds": round(time.perf_counter() - started, 2),
        "libraries": library_versions(),
    }
    return TrainingResult(
        pipeline=pipeline,
        metadata=metadata,
        cv_accuracy_by_k=cv_accuracy_by_k,
        test_report=report,
    )
