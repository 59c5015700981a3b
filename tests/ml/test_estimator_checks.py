"""Our estimators against scikit-learn's estimator contract."""

import functools
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import (
    check_do_not_raise_errors_in_init_or_set_params,
    check_estimator_cloneable,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    parametrize_with_checks,
)

from recognizer.ml.ensemble import MLPEnsemble
from recognizer.ml.preprocessing import DigitFeatures
from tests.support.canvases import ink_shape

# Small and quick, but still calibrated on folds, as the trained model is.
SMALL_ENSEMBLE = MLPEnsemble(
    n_members=2, hidden_layer_sizes=(8,), max_iter=50, learning_rate_init=0.05, calibration_folds=2
)


@parametrize_with_checks([SMALL_ENSEMBLE])
def test_the_ensemble_follows_the_estimator_contract(estimator, check):
    check(estimator)


# DigitFeatures takes a list of 2-D images of any size, not a 2-D table, so
# parametrize_with_checks would skip it: the checks below are the ones that
# apply, each beside a fault it catches (the check must fail on that).


def _init_then(change):
    """DigitFeatures.__init__ followed by ``change(self)``, with the same signature."""
    original = DigitFeatures.__init__

    @functools.wraps(original)
    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        change(self)

    return init


def _set_cache(features):
    features.cache_ = {}


def _normalise_box_width(features):
    features.box_width = features.box_width * 1.0


def _validate_threshold(features):
    if not 0 < features.threshold < 1:
        raise ValueError("threshold must be between 0 and 1")


def _double_work_size(features):
    features.work_size = features.work_size * 2


@pytest.mark.parametrize(
    ("check", "fault"),
    [
        (check_no_attributes_set_in_init, _set_cache),
        (check_estimator_cloneable, _normalise_box_width),
        (check_do_not_raise_errors_in_init_or_set_params, _validate_threshold),
        (check_parameters_default_constructible, _double_work_size),
    ],
)
def test_the_features_follow_the_parameter_contract(monkeypatch, check, fault):
    check("DigitFeatures", DigitFeatures())
    monkeypatch.setattr(DigitFeatures, "__init__", _init_then(fault))
    with pytest.raises((AssertionError, RuntimeError, ValueError)):
        check("DigitFeatures", DigitFeatures())


IMAGES = [ink_shape("bar"), ink_shape("loop"), np.zeros((50, 30))]


def test_the_features_are_stateless_and_fit_returns_itself():
    features = DigitFeatures(threshold=0.4)
    before = features.transform(IMAGES)  # usable unfitted: nothing is learnt
    assert features.fit([np.ones((8, 8))]) is features
    assert np.array_equal(features.transform(IMAGES), before)
    assert np.array_equal(features.transform(IMAGES[:1]), before[:1])  # row by row


def test_clone_and_pickle_keep_the_parameters_and_the_output():
    features = DigitFeatures(threshold=0.4, deskew=False)
    expected = features.transform(IMAGES)
    for copy in (clone(features), pickle.loads(pickle.dumps(features))):
        assert copy.get_params() == features.get_params()
        assert np.array_equal(copy.transform(IMAGES), expected)
