import copy
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from recognizer.ml import artifacts
from recognizer.ml.decoding import decode_drawing
from recognizer.ml.serving import ModelService, ModelUnavailable
from tests.drawings import ONE, canvas_image, png_bytes


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def model_dir(tmp_path: Path, trained_model_dir: Path) -> Path:
    directory = tmp_path / "models"
    shutil.copytree(trained_model_dir, directory)
    return directory


@pytest.fixture
def one_ink() -> np.ndarray:
    return decode_drawing(png_bytes(canvas_image(ONE)), max_side=2048).ink


def test_a_guess_has_a_digit_ten_probabilities_and_the_features(model_dir, one_ink):
    model = ModelService(model_dir).current()
    guess = model.predict(one_ink)
    assert guess.digit == 1
    assert len(guess.probabilities) == 10
    assert sum(guess.probabilities) == pytest.approx(1.0)
    assert guess.confidence == max(guess.probabilities)
    assert len(guess.features) == 64
    assert all(isinstance(value, int) and 0 <= value <= 16 for value in guess.features)
    assert guess.model_version == artifacts.active_version(model_dir)
    # The same figures as the whole pipeline gives, and the features it computes.
    assert guess.probabilities == pytest.approx(model.pipeline.predict_proba([one_ink])[0])
    features = model.pipeline.named_steps["features"].transform([one_ink])[0]
    assert guess.features == np.rint(features).astype(int).tolist()


def test_the_model_is_loaded_once_for_many_predictions(model_dir, one_ink):
    service = ModelService(model_dir, recheck_seconds=0)
    for _ in range(50):
        service.current().predict(one_ink)
    assert service.loads == 1


def test_concurrent_first_requests_load_the_model_once(model_dir):
    service = ModelService(model_dir)
    barrier = threading.Barrier(8)
    versions = []

    def first_request() -> None:
        barrier.wait()
        versions.append(service.current().version)

    threads = [threading.Thread(target=first_request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert service.loads == 1
    assert len(set(versions)) == 1 and len(versions) == 8


def test_no_model_is_unavailable_with_a_message_naming_the_command(tmp_path):
    with pytest.raises(ModelUnavailable, match=r"manage\.py train_model"):
        ModelService(tmp_path).current()


def test_activating_another_version_is_picked_up_without_restart(model_dir, training_result):
    clock = FakeClock()
    service = ModelService(model_dir, recheck_seconds=1.0, clock=clock)
    first = service.current().version
    other = copy.deepcopy(training_result.pipeline).set_params(features__min_ink=0.25)
    second = artifacts.save_artifact(other, training_result.metadata, model_dir).version
    artifacts.activate(model_dir, second)

    assert service.current().version == first  # not looked at again yet
    clock.now += 1.5
    assert service.current().version == second
    assert service.loads == 2


def test_a_corrupt_artifact_is_unavailable_then_recovers(model_dir):
    clock = FakeClock()
    version = artifacts.active_version(model_dir)
    path = artifacts.artifact_path(model_dir, version)
    good = path.read_bytes()
    path.write_bytes(good[:100])
    service = ModelService(model_dir, clock=clock)
    with pytest.raises(ModelUnavailable, match="SHA-256"):
        service.current()

    path.write_bytes(good)
    with pytest.raises(ModelUnavailable):
        service.current()  # retried at most once per recheck interval
    clock.now += 1.5
    assert service.current().version == version


def test_a_loaded_model_keeps_serving_if_a_broken_one_is_activated(model_dir):
    clock = FakeClock()
    service = ModelService(model_dir, clock=clock)
    version = service.current().version
    (model_dir / artifacts.ACTIVE_FILE).write_text("ffffffffffff\n")
    clock.now += 1.5
    assert service.current().version == version
