"""The pipeline step that tells a drawing that is no digit at all from one the classifier may guess.

A softmax over ten digits always names a digit. `NotADigit` sits between the
features and the classifier and passes the features through unchanged; what
it adds is `refuse(X)`: True for the rows that look like none of the digits
it was fitted on. Its score (higher: less like a digit) comes from one of
``METHODS``, and its ``threshold_`` is chosen in `fit` on rows it did not
learn from, so that at most ``digit_refusals`` of held-out digits are refused.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GroupShuffleSplit
from sklearn.neighbors import LocalOutlierFactor, NearestNeighbors
from sklearn.neural_network import MLPClassifier
from sklearn.utils.validation import check_is_fitted, validate_data

NOT_A_DIGIT = 10  # the label of a training row that is no digit (a negative)
METHODS = ("classifier", "neighbours", "local outliers", "isolation forest")


class NotADigit(TransformerMixin, BaseEstimator):
    """Pass feature rows through; `refuse` says which are no digit.

    ``method``: "classifier" learns digit rows against the rows labelled
    NOT_A_DIGIT (synthetic non-digits, drawings people said were none);
    "neighbours" scores the mean distance to the ``n_neighbors`` nearest digit
    rows; "local outliers" and "isolation forest" are scikit-learn's novelty
    detectors fitted on the digit rows. ``held_out`` of the row groups are kept
    out of learning to choose ``threshold_``. After `fit`: ``threshold_``, and
    ``held_out_refused_`` (the shares of held-out digits and non-digits refused).
    """

    def __init__(
        self,
        method: str = "classifier",
        digit_refusals: float = 0.02,
        held_out: float = 0.2,
        n_neighbors: int = 5,
        random_state: int | None = 0,
    ) -> None:
        self.method = method
        self.digit_refusals = digit_refusals
        self.held_out = held_out
        self.n_neighbors = n_neighbors
        self.random_state = random_state

    def fit(self, X: Any, y: Any, groups: Any = None) -> NotADigit:
        """Learn the score on most row groups, then the threshold on the rest.

        ``y``: each row's digit, or NOT_A_DIGIT. Rows of one group (an image
        and its distorted copies) stay on one side; by default each row alone.
        """
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}")
        X = validate_data(self, X)
        negative = np.asarray(y) == NOT_A_DIGIT
        if self.method == "classifier" and not negative.any():
            raise ValueError("the classifier method needs rows labelled NOT_A_DIGIT")
        groups = np.arange(len(X)) if groups is None else np.asarray(groups)
        splitter = GroupShuffleSplit(1, test_size=self.held_out, random_state=self.random_state)
        learn, check = next(splitter.split(X, negative, groups))
        self.scorer_ = self._scorer(X[learn], negative[learn])
        scores = self._score(X[check])
        digits = scores[~negative[check]]
        self.threshold_ = float(np.quantile(digits, 1 - self.digit_refusals))
        refused = scores > self.threshold_
        self.held_out_refused_ = {
            "digits": float(refused[~negative[check]].mean()),
            "non_digits": float(refused[negative[check]].mean()) if negative[check].any() else None,
        }
        return self

    def _scorer(self, X: np.ndarray, negative: np.ndarray) -> Any:
        """Return the fitted estimator behind the score."""
        digits = X[~negative]
        if self.method == "classifier":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                return MLPClassifier(
                    (128,), max_iter=60, random_state=self.random_state, early_stopping=False
                ).fit(X, negative)
        if self.method == "neighbours":
            return NearestNeighbors(n_neighbors=self.n_neighbors).fit(digits)
        if self.method == "local outliers":
            return LocalOutlierFactor(n_neighbors=20, novelty=True).fit(digits)
        return IsolationForest(random_state=self.random_state).fit(digits)

    def _score(self, X: np.ndarray) -> np.ndarray:
        """Return each row's score: the higher, the less it looks like a digit."""
        if self.method == "classifier":
            return self.scorer_.predict_proba(X)[:, 1]
        if self.method == "neighbours":
            distances, _ = self.scorer_.kneighbors(X)
            return distances.mean(axis=1)
        return -self.scorer_.score_samples(X)

    def refusal_score(self, X: Any) -> np.ndarray:
        """Return how little each row looks like a digit (compare with ``threshold_``)."""
        check_is_fitted(self)
        return self._score(validate_data(self, X, reset=False))

    def refuse(self, X: Any) -> np.ndarray:
        """Return True for each row that is no digit."""
        return self.refusal_score(X) > self.threshold_

    def transform(self, X: Any) -> np.ndarray:
        """Return the rows unchanged: the classifier still names the likeliest digit."""
        check_is_fitted(self)
        return validate_data(self, X, reset=False)
