"""The full model, trained as `make run` trains it, against issue 3's targets.

Training takes about a minute and a half on two cores, once for this module.
The figures are printed (run with -s to see them).
"""

import base64

import numpy as np
import pytest
from rest_framework.test import APIClient

from recognizer.ml import artifacts, canvas, evaluation, training
from recognizer.ml.synthetic import synthetic_digit_sets
from tests.conftest import register
from tests.support.canvases import ONE, SEVEN, ZERO, canvas_image, decode_png, png_bytes

# Its subject does not depend on the database: not run again on PostgreSQL.
pytestmark = [pytest.mark.django_db, pytest.mark.one_pass, pytest.mark.full_training]


@pytest.fixture(scope="module")
def full_training() -> tuple[training.TrainingResult, bytes]:
    """The full model, trained once for this module, with its artifact bytes."""
    result = training.train()
    return result, artifacts.serialize(result.pipeline)


@pytest.fixture
def full_model(full_training, model_in_service) -> training.TrainingResult:
    """The full model in service in place of the fast one."""
    result, data = full_training
    register(data, result.metadata)
    return result


def accuracy_through_the_api(pngs: list[bytes], labels: np.ndarray) -> float:
    api = APIClient()
    right = 0
    for png, label in zip(pngs, labels, strict=True):
        uri = "data:image/png;base64," + base64.b64encode(png).decode()
        response = api.post("/api/predict/", {"image": uri}, format="json")
        assert response.status_code == 201, response.content
        right += response.json()["digit"] == label
    return right / len(labels)


@pytest.mark.parametrize("upscaling", ["nearest", "bilinear"])
def test_the_held_out_load_digits_drawn_large_are_recognised_through_the_api(full_model, upscaling):
    _, images, _, labels = training.digits_split()
    pngs = [canvas.canvas_png(canvas.enlarge(image, upscaling)) for image in images]
    accuracy = accuracy_through_the_api(pngs, labels)
    print(f"load_digits test split drawn large ({upscaling}) through the API: {accuracy:.2%}")
    assert accuracy >= 0.98


def test_synthetic_pen_drawings_are_recognised_with_honest_confidence(full_model):
    pipeline = full_model.pipeline
    sets, labels = synthetic_digit_sets(30)
    for background, pngs in sets.items():
        scores = evaluation.evaluate(pipeline, [decode_png(png) for png in pngs], labels)
        print(
            f"synthetic strokes ({background}): {scores.accuracy:.2%}, "
            f"calibration error {scores.ece:.3f}"
        )
        assert scores.accuracy >= 0.9
        # The weakest digit is the 1 with a long flag, often read as a 7.
        assert min(scores.per_class) >= 0.6
        assert scores.ece < 0.06


def test_simple_mouse_drawings_are_recognised(full_model):
    pngs = [png_bytes(canvas_image(strokes)) for strokes in (ONE, ZERO, SEVEN)]
    assert accuracy_through_the_api(pngs, np.array([1, 0, 7])) == 1.0
