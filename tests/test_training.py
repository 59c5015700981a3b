import json

import numpy as np
import pytest
from sklearn.pipeline import Pipeline

from recognizer.ml import training
from tests.drawings import ONE, ZERO, canvas_image, decode_png, ink_shape, png_bytes


@pytest.fixture
def result(training_result: training.TrainingResult) -> training.TrainingResult:
    return training_result


def test_the_pipeline_goes_from_ink_image_to_digit():
    pipeline = training.build_pipeline()
    assert isinstance(pipeline, Pipeline)
    assert [name for name, _ in pipeline.steps] == ["features", "classifier"]


def test_the_held_out_quarter_is_recognised(result):
    metadata = result.metadata
    assert metadata["test_samples"] == 450
    assert metadata["training_samples"] == 1347 * (training.FAST_FACTOR + 1)
    assert metadata["test_accuracy"] > 0.95
    assert 0.9 < metadata["cv_accuracy"] <= 1
    assert "precision" in result.test_report


def test_metadata_describes_the_model(result):
    metadata = result.metadata
    classifier = result.pipeline.named_steps["classifier"]
    assert metadata["algorithm"].startswith("MLPEnsemble")
    assert metadata["parameters"]["augmentation_factor"] == training.FAST_FACTOR
    assert metadata["parameters"]["features"]["deskew"] is True
    # The parameters are the ones it was trained with, n_jobs included.
    assert metadata["parameters"]["classifier"] == classifier.get_params()
    assert metadata["parameters"]["classifier"]["n_jobs"] == 1
    assert metadata["cv_folds"] == metadata["parameters"]["classifier"]["calibration_folds"] == 2
    # The temperature learnt on the cross-validation folds is the one in use.
    assert metadata["temperature"] == classifier.temperature_ != 1.0
    assert metadata["libraries"]["scikit-learn"]
    assert metadata["trained_at"].endswith("+00:00")
    assert metadata["train_seconds"] > 0
    json.dumps(metadata)  # stored as JSON beside the artifact


@pytest.mark.parametrize(("strokes", "digit"), [(ONE, 1), (ZERO, 0)])
def test_simple_canvas_drawings_are_recognised(result, strokes, digit):
    ink = decode_png(png_bytes(canvas_image(strokes)))
    assert result.pipeline.predict([ink])[0] == digit


def test_probabilities_are_a_distribution_even_for_a_blank_drawing(result):
    probabilities = result.pipeline.predict_proba([ink_shape("bar"), np.zeros((280, 280))])
    assert probabilities.shape == (2, 10)
    assert np.allclose(probabilities.sum(axis=1), 1.0)


def test_the_recorded_parameters_train_the_same_model_again():
    options = {"factor": 0, "cv_folds": 2, "n_jobs": 1, "classifier_params": {"max_iter": 3}}
    first = training.train(seed=4, **options)
    again = training.build_pipeline(**first.metadata["parameters"]["classifier"])
    rows = training.training_rows(
        again.named_steps["features"],
        factor=0,
        seed=4,
        n_jobs=1,
        extra_images=(),
        extra_labels=(),
        extra_repeat=1,
        progress=lambda stage, done, total: None,
    )
    again.named_steps["classifier"].fit(rows.X, rows.y, groups=rows.groups)
    images = [ink_shape("bar"), ink_shape("loop")]
    assert np.array_equal(first.pipeline.predict_proba(images), again.predict_proba(images))


def test_corrected_drawings_are_learnt():
    # A "7" drawn as a plain vertical stroke, taught through corrections.
    trained = training.train(
        factor=0,
        n_jobs=1,
        cv_folds=0,
        extra_images=[ink_shape("bar", offset=(dx, 0)) for dx in (-20, 0, 20)],
        extra_labels=[7, 7, 7],
        extra_repeat=20,
        classifier_params=training.FAST_CLASSIFIER,
    )
    assert trained.metadata["history_samples"] == 3
    assert trained.metadata["history_repeat"] == 20
    assert trained.metadata["training_samples"] == 1347 + 60
    assert trained.metadata["cv_accuracy"] is None
    assert trained.pipeline.predict([ink_shape("bar")])[0] == 7
