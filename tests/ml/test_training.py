import json

import numpy as np
import pytest
from sklearn.pipeline import Pipeline

from recognizer.ml import artifacts, datasets, featurising, training
from tests.support.canvases import ONE, ZERO, canvas_image, decode_png, ink_shape, png_bytes


@pytest.fixture
def result(training_result: training.TrainingResult) -> training.TrainingResult:
    return training_result


# The refusal step learns from few synthetic rows where it is not the subject.
FEW_REFUSAL_ROWS = {"non_digits_per_kind": 5, "drawn_digits_per_class": 2}


def test_the_pipeline_goes_from_ink_image_to_digit():
    pipeline = training.build_pipeline()
    assert isinstance(pipeline, Pipeline)
    assert [name for name, _ in pipeline.steps] == ["features", "refusal", "classifier"]


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
    assert metadata["parameters"]["features"]["grid"] == 8
    assert metadata["parameters"]["held_out"] == 0.1
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
    options |= FEW_REFUSAL_ROWS
    first = training.train(seed=4, **options)
    parameters = first.metadata["parameters"]
    again = training.build_pipeline(parameters["features"]["grid"], **parameters["classifier"])
    features = again.named_steps["features"]
    digits = datasets.open_dataset(datasets.parse_dataset("digits"))
    rows = featurising.import_datasets(
        [digits],
        features.transform,
        augment=lambda source: training.augmenter(
            source, features=features, copies={"digits": 0}, seed=4, history_repeat=1
        ),
        n_jobs=1,
    )
    negatives = training.non_digit_rows(features.transform, parameters["non_digits_per_kind"])
    drawn = training.drawn_digit_rows(features.transform, parameters["drawn_digits_per_class"])
    training.fit_steps(again, rows, negatives, drawn)
    images = [ink_shape("bar"), ink_shape("loop")]
    assert np.array_equal(first.pipeline.predict_proba(images), again.predict_proba(images))


def history_of(images: list[np.ndarray], labels: list[int]) -> datasets.Dataset:
    """The labelled drawings as the app passes them: none held out here."""
    spec = datasets.parse_dataset("history")
    return datasets.memory_dataset(spec, images, labels, [{"path": "labelled drawings"}])


def test_corrected_drawings_are_learnt():
    # A "7" drawn as a plain vertical stroke, taught through corrections.
    digits = datasets.open_dataset(datasets.parse_dataset("digits"))
    bars = [ink_shape("bar", offset=(dx, 0)) for dx in (-20, 0, 20)]
    trained = training.train(
        [digits, history_of(bars, [7, 7, 7])],
        factor=0,
        n_jobs=1,
        cv_folds=0,
        history_repeat=20,
        classifier_params=training.FAST_CLASSIFIER,
        **FEW_REFUSAL_ROWS,
    )
    assert trained.metadata["history_samples"] == 3
    assert trained.metadata["history_repeat"] == 20
    assert trained.metadata["training_samples"] == 1347 + 60
    assert trained.metadata["training_data"]["history"]["repeat"] == 20
    assert trained.metadata["training_data"]["history"]["per_digit"][7] == 3
    assert trained.metadata["cv_accuracy"] is None
    assert trained.pipeline.predict([ink_shape("bar")])[0] == 7


def test_the_input_size_is_a_parameter_of_the_pipeline():
    trained = training.train(
        factor=0,
        n_jobs=1,
        cv_folds=0,
        grid=12,
        classifier_params=training.FAST_CLASSIFIER,
        **FEW_REFUSAL_ROWS,
    )
    assert trained.metadata["parameters"]["features"]["grid"] == 12
    assert training.input_grid(trained.metadata) == 12
    assert trained.pipeline[:1].transform([ink_shape("loop")]).shape == (1, 144)
    assert trained.metadata["test_accuracy"] > 0.8
    assert training.input_grid({"parameters": {"features": {}}}) == 8  # older models


@pytest.mark.parametrize("grid", [7, 21])
def test_input_sizes_not_measured_are_refused(grid):
    with pytest.raises(ValueError, match="8 to 20"):
        training.build_pipeline(grid)


def test_load_digits_training_data_records_its_provenance(result):
    record = result.metadata["training_data"]["digits"]
    assert record["kind"] == "digits"
    assert record["images"] == 1347 and sum(record["per_digit"]) == 1347
    assert record["held_out"] == 450 and record["skipped"] == 0
    assert record["copies_each"] == training.FAST_FACTOR
    assert record["files"][0]["path"] == "sklearn.datasets.load_digits"
    assert len(record["files"][0]["sha256"]) == 64


def test_imported_images_get_copies_by_data_size():
    digits = datasets.open_dataset(datasets.parse_dataset("digits"))
    spec = datasets.parse_dataset("folder:/nowhere")
    imported = datasets.memory_dataset(spec, [np.ones((4, 4))] * 5000, [1, 2] * 2500, [])
    copies = training.copies_by_source(
        [digits, imported], factor=20, import_factor=None, held_out=0.1
    )
    assert copies == {"digits": 20, "folder:/nowhere": 15}  # 4,500 training images
    chosen = training.copies_by_source([imported], factor=20, import_factor=2, held_out=0.1)
    assert chosen == {"folder:/nowhere": 2}


def test_a_second_training_in_one_process_reuses_load_digits_features(monkeypatch):
    """A worker that trains again (after new labels) distorts and counts load_digits
    once: the same model comes out, and another preprocessing is counted anew."""
    options = {"factor": 0, "cv_folds": 0, "n_jobs": 1, **FEW_REFUSAL_ROWS}
    options["classifier_params"] = training.FAST_CLASSIFIER
    monkeypatch.setattr(featurising, "_cache", type(featurising._cache)())
    first = training.train(**options)
    counted = []
    count = featurising._featurise
    monkeypatch.setattr(
        featurising, "_featurise", lambda *args: counted.append(args) or count(*args)
    )
    again = training.train(**options)
    assert counted == []
    assert artifacts.serialize(again.pipeline) == artifacts.serialize(first.pipeline)
    training.train(**options, grid=9)
    assert len(counted) == 2  # its training part and its held-out part
