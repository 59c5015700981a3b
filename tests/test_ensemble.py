import copy
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from recognizer.ml.ensemble import MLPEnsemble

DIGITS = load_digits()
X, Y = DIGITS.data[:300], DIGITS.target[:300]


@pytest.fixture(scope="module")
def ensemble():
    return MLPEnsemble(n_members=2, hidden_layer_sizes=(32,), max_iter=20, batch_size=200).fit(X, Y)


def test_numpy_forward_pass_matches_scikit_learn(ensemble):
    # The members are MLPClassifiers with seeds 0 and 1: refit them and compare.
    params = {"hidden_layer_sizes": (32,), "max_iter": 20, "batch_size": 200}
    params["learning_rate_init"] = ensemble.learning_rate_init
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        members = [MLPClassifier(**params, random_state=i).fit(X, Y) for i in (0, 1)]
    expected = np.mean([m.predict_proba(X[:20]) for m in members], axis=0)
    assert np.allclose(ensemble.predict_proba(X[:20]), expected)
    assert list(ensemble.classes_) == list(range(10))


def test_temperature_softens_without_changing_the_guess():
    single = MLPEnsemble(n_members=1, hidden_layer_sizes=(32,), max_iter=20).fit(X, Y)
    sharp = single.predict_proba(X[:50])
    softened = copy.deepcopy(single).set_params(temperature=3.0).predict_proba(X[:50])
    assert np.allclose(softened.sum(axis=1), 1.0)
    assert softened.max(axis=1).mean() < sharp.max(axis=1).mean()
    assert np.array_equal(softened.argmax(axis=1), sharp.argmax(axis=1))


def test_same_seed_same_model():
    a = MLPEnsemble(n_members=2, hidden_layer_sizes=(16,), max_iter=5, random_state=3).fit(X, Y)
    b = MLPEnsemble(n_members=2, hidden_layer_sizes=(16,), max_iter=5, random_state=3).fit(X, Y)
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X))


def test_bad_input_shape_is_rejected(ensemble):
    with pytest.raises(ValueError):
        ensemble.predict_proba(np.zeros((1, 63)))
