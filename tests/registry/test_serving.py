"""The model service: each version loaded once per process, switched within a
second of an activation, never unpickled unless it is the artifact we wrote."""

import threading
from unittest import mock

import numpy as np
import pytest
from django.core.files.base import ContentFile

from recognizer.ml.decoding import decode_drawing
from recognizer.ml.guessing import ModelUnavailable
from recognizer.models import ModelVersion
from recognizer.registry import services as registry
from recognizer.registry.serving import ServedModels
from recognizer.storage import model_storage
from tests.support.canvases import ONE, canvas_image, png_bytes

pytestmark = pytest.mark.django_db


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def one_ink() -> np.ndarray:
    return decode_drawing(png_bytes(canvas_image(ONE)), max_side=2048).ink


def replace_artifact(model_version: ModelVersion, data: bytes) -> bytes:
    """Put other bytes in a version's artifact file; return the bytes it held."""
    storage = model_storage()
    with storage.open(model_version.artifact.name, "rb") as file:
        held = file.read()
    storage.delete(model_version.artifact.name)
    storage.save(model_version.artifact.name, ContentFile(data))
    return held


def damage(model_version: ModelVersion) -> bytes:
    """Truncate a version's artifact file; return the good bytes."""
    return replace_artifact(model_version, b"not the pickle we wrote")


def test_a_guess_has_a_digit_ten_probabilities_and_the_features(model_in_service, one_ink):
    model = ServedModels(recheck_seconds=0).in_service()
    guess = model.predict(one_ink)
    assert guess.digit == 1
    assert len(guess.probabilities) == 10
    assert sum(guess.probabilities) == pytest.approx(1.0)
    assert guess.confidence == max(guess.probabilities)
    assert len(guess.features) == 64
    assert all(isinstance(value, int) and 0 <= value <= 16 for value in guess.features)
    assert guess.model_version == model_in_service.version
    # The same figures as the whole pipeline gives, and the features it computes.
    assert guess.probabilities == pytest.approx(model.pipeline.predict_proba([one_ink])[0])
    features = model.pipeline.named_steps["features"].transform([one_ink])[0]
    assert guess.features == np.rint(features).astype(int).tolist()


def test_the_model_is_loaded_once_for_many_predictions(one_ink):
    service = ServedModels(recheck_seconds=0)
    for _ in range(50):
        service.in_service().predict(one_ink)
    assert service.loads == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_requests_load_the_model_once():
    service = ServedModels(recheck_seconds=1.0)
    barrier = threading.Barrier(8)
    versions = []

    def first_request() -> None:
        barrier.wait()
        versions.append(service.in_service().version)

    threads = [threading.Thread(target=first_request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert service.loads == 1
    assert len(set(versions)) == 1 and len(versions) == 8


def test_no_model_is_unavailable_with_a_message_naming_the_command(no_model):
    with pytest.raises(ModelUnavailable, match=r"manage\.py train_model"):
        ServedModels(recheck_seconds=0).in_service()


def test_an_activation_is_picked_up_within_the_recheck_interval(model_in_service, other_version):
    clock = FakeClock()
    service = ServedModels(recheck_seconds=1.0, clock=clock)
    assert service.in_service().version == model_in_service.version
    registry.model_version_activate(version=other_version.version, via="tests")
    assert service.in_service().version == model_in_service.version  # not looked at again yet
    clock.now += 1.5
    assert service.in_service().version == other_version.version
    assert service.loads == 2
    # Rolling back needs no second download: the previous model is kept loaded.
    registry.model_version_rollback(via="tests")
    clock.now += 1.5
    assert service.in_service().version == model_in_service.version
    assert service.loads == 2


def test_a_damaged_artifact_is_never_unpickled_and_is_served_once_repaired(model_in_service):
    clock = FakeClock()
    good = damage(model_in_service)
    service = ServedModels(recheck_seconds=1.0, clock=clock)
    with mock.patch("recognizer.ml.artifacts.joblib.load") as unpickle:
        with pytest.raises(ModelUnavailable, match="SHA-256"):
            service.in_service()
        unpickle.assert_not_called()
    replace_artifact(model_in_service, good)
    clock.now += 1.5
    assert service.in_service().version == model_in_service.version


def test_a_model_trained_with_other_libraries_is_refused_before_unpickling(model_in_service):
    ModelVersion.objects.filter(pk=model_in_service.pk).update(
        libraries={**model_in_service.libraries, "scikit-learn": "0.1.0"}
    )
    with (
        mock.patch("recognizer.ml.artifacts.joblib.load") as unpickle,
        pytest.raises(ModelUnavailable, match=r"trained with scikit-learn 0\.1\.0"),
    ):
        ServedModels(recheck_seconds=0).in_service()
    unpickle.assert_not_called()


def test_a_served_model_keeps_serving_if_a_broken_one_is_activated(model_in_service, other_version):
    clock = FakeClock()
    service = ServedModels(recheck_seconds=1.0, clock=clock)
    assert service.in_service().version == model_in_service.version
    damage(other_version)
    registry.model_version_activate(version=other_version.version, via="tests")
    clock.now += 1.5
    assert service.in_service().version == model_in_service.version


def test_a_model_of_another_features_recipe_is_refused_and_the_served_one_keeps_serving(
    model_in_service, other_version, caplog
):
    clock = FakeClock()
    service = ServedModels(recheck_seconds=1.0, clock=clock)
    assert service.in_service().version == model_in_service.version
    # Put in service behind the registry's back, as another server of an older release would.
    ModelVersion.objects.filter(pk=model_in_service.pk).update(role="")
    ModelVersion.objects.filter(pk=other_version.pk).update(
        role=ModelVersion.Role.IN_SERVICE, metadata={**other_version.metadata, "recipe": 1}
    )
    clock.now += 1.5
    with mock.patch("recognizer.ml.artifacts.joblib.load") as unpickle:
        assert service.in_service().version == model_in_service.version
    unpickle.assert_not_called()
    assert "features of recipe 1" in caplog.text
    assert "train_model" in caplog.text
