import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.neural_network import MLPClassifier

from recognizer.ml.ensemble import MLPEnsemble

DIGITS = load_digits()
X, Y = DIGITS.data[:300], DIGITS.target[:300]
HELD_OUT_X, HELD_OUT_Y = DIGITS.data[300:900], DIGITS.target[300:900]
SMALL = {"hidden_layer_sizes": (32,), "max_iter": 20, "batch_size": 200}


def test_numpy_forward_pass_matches_scikit_learn():
    # Without calibration folds the members are plain MLPClassifiers with
    # seeds 0 and 1: refit them and compare.
    ensemble = MLPEnsemble(n_members=2, calibration_folds=0, **SMALL).fit(X, Y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        members = [
            MLPClassifier(**SMALL, learning_rate_init=2e-3, random_state=i).fit(X, Y)
            for i in (0, 1)
        ]
    expected = np.mean([m.predict_proba(X[:20]) for m in members], axis=0)
    assert np.allclose(ensemble.predict_proba(X[:20]), expected)
    assert list(ensemble.classes_) == list(range(10))


def confidence_gap(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """How far the mean confidence shown is from how often the guess is right."""
    right = probabilities.argmax(axis=1) == labels
    return abs(probabilities.max(axis=1).mean() - right.mean())


def test_the_learnt_temperature_makes_the_confidence_honest_without_changing_the_guess():
    # Trained long on 300 digits, the network is overconfident on others.
    params = {"n_members": 1, "hidden_layer_sizes": (32,), "max_iter": 200}
    calibrated = MLPEnsemble(**params).fit(X, Y)
    raw = MLPEnsemble(**params, calibration_folds=0).fit(X, Y)  # the same network, T = 1
    assert calibrated.temperature_ > 1.2
    shown, sharp = calibrated.predict_proba(HELD_OUT_X), raw.predict_proba(HELD_OUT_X)
    assert np.allclose(shown.sum(axis=1), 1.0)
    assert np.array_equal(shown.argmax(axis=1), sharp.argmax(axis=1))
    assert confidence_gap(shown, HELD_OUT_Y) < 0.8 * confidence_gap(sharp, HELD_OUT_Y)
    assert log_loss(HELD_OUT_Y, shown) < log_loss(HELD_OUT_Y, sharp)


def test_copies_of_a_row_are_held_out_together():
    # 60 random points with random labels, each present 5 times: nothing can be
    # learnt, but a fold that trains on copies of its held-out rows looks perfect.
    rng = np.random.default_rng(0)
    points, labels = rng.normal(size=(60, 8)), rng.integers(0, 3, 60)
    X_copies, y_copies = np.repeat(points, 5, axis=0), np.repeat(labels, 5)
    groups = np.repeat(np.arange(60), 5)
    params = {"n_members": 1, "hidden_layer_sizes": (64,), "max_iter": 300}
    leaky = MLPEnsemble(**params).fit(X_copies, y_copies)
    grouped = MLPEnsemble(**params).fit(X_copies, y_copies, groups=groups)
    assert np.mean(leaky.held_out_predictions_ == y_copies) > 0.9
    assert np.mean(grouped.held_out_predictions_ == y_copies) < 0.6
    assert grouped.temperature_ > leaky.temperature_


def test_same_seed_same_model():
    params = {"n_members": 2, "hidden_layer_sizes": (16,), "max_iter": 5, "random_state": 3}
    a, b = MLPEnsemble(**params).fit(X, Y), MLPEnsemble(**params).fit(X, Y)
    assert a.temperature_ == b.temperature_
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X))


def test_bad_input_shape_is_rejected():
    ensemble = MLPEnsemble(n_members=1, calibration_folds=0, **SMALL).fit(X, Y)
    with pytest.raises(ValueError, match="64 features"):
        ensemble.predict_proba(np.zeros((1, 63)))
