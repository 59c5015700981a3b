"""An averaged ensemble of small neural networks whose softmax temperature is learnt in fit."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from scipy.optimize import minimize_scalar
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.neural_network import MLPClassifier
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

LOG_TEMPERATURES = (np.log(0.1), np.log(20.0))  # where the temperature is searched for
LOGIT_ROWS = 4096  # rows whose hidden activations are computed at once

Weights = tuple[list[np.ndarray], list[np.ndarray]]  # stacked coefs and intercepts


def _fit_member(
    params: dict[str, Any], X: np.ndarray, y: np.ndarray, rows: np.ndarray
) -> MLPClassifier:
    # One BLAS thread per member: members already run in parallel, and more
    # threads than cores only contend. max_iter is a deliberate
    # budget (the data are fresh distortions, not a converging fit): its
    # ConvergenceWarning is noise here.
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLPClassifier(**params).fit(X[rows], y[rows])


def _stack(members: list[MLPClassifier]) -> Weights:
    """Return the members' weights stacked layer by layer: (n_members, in, out) each."""
    layers = range(len(members[0].coefs_))
    return (
        [np.stack([m.coefs_[i] for m in members]) for i in layers],
        [np.stack([m.intercepts_[i] for m in members]) for i in layers],
    )


def _logits(weights: Weights, X: np.ndarray) -> np.ndarray:
    """Return the members' pre-softmax outputs: (n_members, n_samples, n_classes).

    Large inputs go LOGIT_ROWS rows at a time: the hidden layer of every member
    for 30,000 rows at once would take 370 MB.
    """
    if len(X) > LOGIT_ROWS:
        chunks = [_logits(weights, X[at : at + LOGIT_ROWS]) for at in range(0, len(X), LOGIT_ROWS)]
        return np.concatenate(chunks, axis=1)
    coefs, intercepts = weights
    h = X
    for i, (W, b) in enumerate(zip(coefs, intercepts, strict=True)):
        h = h @ W + b[:, None, :]  # the first product broadcasts X to every member
        if i < len(coefs) - 1:
            np.maximum(h, 0.0, out=h)  # MLPClassifier's default ReLU
    if h.shape[-1] == 1:  # two classes: one logistic output z, i.e. softmax of (0, z)
        h = np.concatenate([np.zeros_like(h), h], axis=-1)
    return h


def softmax_mean(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Average over the first axis of softmax(logits / temperature)."""
    z = logits / temperature
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return (z / z.sum(axis=-1, keepdims=True)).mean(axis=0)


def _temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """Return the temperature with the lowest log-loss of the averaged probabilities."""
    labels = np.arange(logits.shape[-1])
    found = minimize_scalar(
        lambda log_t: log_loss(y, softmax_mean(logits, np.exp(log_t)), labels=labels),
        bounds=LOG_TEMPERATURES,
        method="bounded",
    )
    return float(np.exp(found.x))


class MLPEnsemble(ClassifierMixin, BaseEstimator):
    """``n_members`` MLPClassifiers that differ only in their random start; the
    probabilities are the mean of the members' softmax(logits / temperature_).

    Averaging steadies accuracy and confidence. ``fit`` learns ``temperature_``
    (> 1 softens) from held-out predictions: with ``calibration_folds`` >= 2,
    members are also fitted on all folds but one and predict the rows of the
    other; below 2 the temperature stays 1. ``held_out_predictions_`` are those
    predictions' classes, row by row (None without folds), like
    ``cross_val_predict``'s. ``n_iter_``: the final members' iteration counts.

    Prediction is one batched NumPy product per layer over the stacked weights:
    bench/recognition.py shows what that saves over a scikit-learn call per member.
    """

    def __init__(
        self,
        n_members: int = 6,
        hidden_layer_sizes: tuple[int, ...] = (256,),
        alpha: float = 1e-4,
        batch_size: int = 512,
        learning_rate_init: float = 2e-3,
        max_iter: int = 30,
        calibration_folds: int = 3,
        random_state: int | None = 0,
        n_jobs: int | None = None,
    ) -> None:
        self.n_members = n_members
        self.hidden_layer_sizes = hidden_layer_sizes
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.calibration_folds = calibration_folds
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit(self, X: Any, y: Any, groups: Any = None) -> MLPEnsemble:
        """Fit the members (in parallel: ``n_jobs``) on every row, and on the
        calibration folds. Rows with the same ``groups`` label (an image and its
        distorted copies) are held out together; by default each row alone."""
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        self.classes_, y = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"{type(self).__name__} needs at least 2 classes, got 1 class.")
        folds = self._folds(X, y, groups)
        row_sets = [np.arange(len(X))] + [train for train, _ in folds]
        members = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_member)(params, X, y, rows)
            for rows in row_sets
            for params in self._member_params(len(rows))
        )
        if any(len(m.classes_) != len(self.classes_) for m in members):
            raise ValueError("A calibration fold lacks a class: use fewer calibration_folds.")
        n = self.n_members
        self.coefs_, self.intercepts_ = _stack(members[:n])
        self.n_iter_ = np.array([m.n_iter_ for m in members[:n]])
        self.temperature_, self.held_out_predictions_ = 1.0, None
        if folds:
            held_out = np.concatenate([test for _, test in folds])
            logits = np.concatenate(
                [
                    _logits(_stack(members[n * k : n * (k + 1)]), X[test])
                    for k, (_, test) in enumerate(folds, start=1)
                ],
                axis=1,
            )
            self.temperature_ = _temperature(logits, y[held_out])
            guesses = np.empty(len(X), dtype=np.intp)
            guesses[held_out] = softmax_mean(logits, self.temperature_).argmax(axis=1)
            self.held_out_predictions_ = self.classes_[guesses]
        return self

    def _folds(self, X: np.ndarray, y: np.ndarray, groups: Any) -> list:
        """Return the calibration folds' (train, test) row indices, whole groups held out."""
        if self.calibration_folds < 2:
            return []
        # Stratified as well as grouped: every fold must train on every class.
        splitter = StratifiedGroupKFold(
            self.calibration_folds, shuffle=True, random_state=self.random_state
        )
        return list(splitter.split(X, y, np.arange(len(X)) if groups is None else groups))

    def _member_params(self, n_rows: int) -> list[dict[str, Any]]:
        base = {
            "hidden_layer_sizes": self.hidden_layer_sizes,
            "alpha": self.alpha,
            "batch_size": min(self.batch_size, n_rows),  # small sets: one batch
            "learning_rate_init": self.learning_rate_init,
            "max_iter": self.max_iter,
        }
        start = self.random_state
        return [
            {**base, "random_state": None if start is None else start + i}
            for i in range(self.n_members)
        ]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Mean over members of softmax(logits / temperature_)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return softmax_mean(_logits((self.coefs_, self.intercepts_), X), self.temperature_)

    def predict(self, X: Any) -> np.ndarray:
        best = self.predict_proba(X).argmax(axis=1)
        return self.classes_[best]
