"""Artifacts as bytes: a round trip keeps the model; nothing else is ever unpickled."""

import hashlib
from unittest import mock

import numpy as np
import pytest

from recognizer.ml import artifacts, training
from recognizer.ml.preprocessing import RECIPE


@pytest.fixture
def data(training_result) -> bytes:
    return artifacts.serialize(training_result.pipeline)


def load(data: bytes, **changes: object) -> object:
    checks = {
        "version": "a1b2c3d4e5f6",
        "sha256": hashlib.sha256(data).hexdigest(),
        "libraries": artifacts.library_versions(),
        "format": artifacts.FORMAT,
        "recipe": RECIPE,
        **changes,
    }
    return artifacts.deserialize(data, **checks)


def test_a_round_trip_keeps_the_predictions(training_result, data):
    _, test_images, _, _ = training.digits_split()
    expected = training_result.pipeline.predict_proba(test_images)
    assert np.array_equal(load(data).predict_proba(test_images), expected)


def test_the_same_model_gives_the_same_bytes(training_result, data):
    assert artifacts.serialize(training_result.pipeline) == data


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sha256": "0" * 64}, "does not match its recorded SHA-256"),
        ({"format": artifacts.FORMAT - 1}, r"older version of this project.*train_model"),
        ({"libraries": {"scikit-learn": "0.24.2", "numpy": "1.19.0"}}, "scikit-learn 0.24.2"),
        ({"recipe": RECIPE - 1}, rf"features of recipe {RECIPE - 1}.*train_model"),
    ],
    ids=["changed bytes", "older design", "other libraries", "other features recipe"],
)
def test_what_may_not_run_here_is_never_unpickled(data, changes, message):
    with (
        mock.patch("recognizer.ml.artifacts.joblib.load") as unpickle,
        pytest.raises(artifacts.ArtifactError, match=message),
    ):
        load(data, **changes)
    unpickle.assert_not_called()


def test_bytes_that_are_not_a_pipeline_are_refused():
    data = artifacts.serialize({"not": "a pipeline"})
    with pytest.raises(artifacts.ArtifactError, match="not a classifier pipeline"):
        load(data)
