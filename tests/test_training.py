import copy
import json

import numpy as np
import pytest

from recognizer.ml import artifacts, training
from recognizer.ml.decoding import decode_drawing
from tests.drawings import ONE, ZERO, canvas_image, png_bytes


@pytest.fixture
def result(training_result: training.TrainingResult) -> training.TrainingResult:
    return training_result


def test_k_is_chosen_by_cross_validation_over_one_to_ten(result):
    assert list(result.cv_accuracy_by_k) == list(range(1, 11))
    chosen = result.pipeline.named_steps["classifier"].n_neighbors
    assert result.cv_accuracy_by_k[chosen] == max(result.cv_accuracy_by_k.values())


def test_the_held_out_quarter_is_recognised(result):
    assert result.metadata["test_samples"] == 450
    assert result.metadata["training_samples"] == 1347
    assert result.metadata["test_accuracy"] > 0.9
    assert "precision" in result.test_report


def test_metadata_describes_the_model(result):
    metadata = result.metadata
    assert metadata["algorithm"] == "KNeighborsClassifier"
    assert metadata["parameters"]["classifier"]["n_neighbors"] in range(1, 11)
    assert metadata["libraries"]["scikit-learn"]
    assert metadata["trained_at"].endswith("+00:00")
    json.dumps(metadata)  # stored as JSON beside the artifact


@pytest.mark.parametrize(("strokes", "digit"), [(ONE, 1), (ZERO, 0)])
def test_simple_canvas_drawings_are_recognised(result, strokes, digit):
    ink = decode_drawing(png_bytes(canvas_image(strokes)), max_side=2048).ink
    assert result.pipeline.predict([ink])[0] == digit


class TestArtifacts:
    def test_round_trip_keeps_predictions(self, result, tmp_path):
        saved = artifacts.save_artifact(result.pipeline, result.metadata, tmp_path)
        pipeline, metadata = artifacts.load_artifact(tmp_path, saved.version)
        _, test_images, _, _ = training.split_digits(*training.load_digit_images())
        assert np.array_equal(pipeline.predict(test_images), result.pipeline.predict(test_images))
        assert metadata["version"] == saved.version
        assert metadata["sha256"].startswith(saved.version)

    def test_the_version_is_the_content_hash(self, result, tmp_path):
        first = artifacts.save_artifact(result.pipeline, result.metadata, tmp_path / "a")
        second = artifacts.save_artifact(result.pipeline, result.metadata, tmp_path / "b")
        assert first.version == second.version
        assert len(first.version) == artifacts.VERSION_LENGTH

    def test_no_temporary_files_are_left_behind(self, result, tmp_path):
        saved = artifacts.save_artifact(result.pipeline, result.metadata, tmp_path)
        artifacts.activate(tmp_path, saved.version)
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            "ACTIVE",
            f"model-{saved.version}.joblib",
            f"model-{saved.version}.json",
        ]

    def test_a_changed_file_is_never_unpickled(self, result, tmp_path):
        saved = artifacts.save_artifact(result.pipeline, result.metadata, tmp_path)
        path = artifacts.artifact_path(tmp_path, saved.version)
        path.write_bytes(path.read_bytes() + b"tampered")
        with pytest.raises(artifacts.ArtifactError, match="SHA-256"):
            artifacts.load_artifact(tmp_path, saved.version)

    def test_versions_cannot_name_files_elsewhere(self, tmp_path):
        (tmp_path / artifacts.ACTIVE_FILE).write_text("../../etc/passwd\n")
        with pytest.raises(artifacts.ArtifactError, match="not a model version"):
            artifacts.active_version(tmp_path)

    def test_no_active_model_says_how_to_train_one(self, tmp_path):
        with pytest.raises(artifacts.NoActiveModel, match=r"manage\.py train_model"):
            artifacts.active_version(tmp_path)

    def test_activate_refuses_an_unknown_version(self, tmp_path):
        with pytest.raises(artifacts.ArtifactError, match="does not exist"):
            artifacts.activate(tmp_path, "0123456789ab")

    def test_list_shows_complete_artifacts_oldest_first(self, result, tmp_path):
        other = copy.deepcopy(result.pipeline).set_params(classifier__n_neighbors=2)
        new = artifacts.save_artifact(other, {**result.metadata, "trained_at": "2"}, tmp_path)
        old = artifacts.save_artifact(
            result.pipeline, {**result.metadata, "trained_at": "1"}, tmp_path
        )
        (tmp_path / "model-ffffffffffff.joblib").write_bytes(b"no metadata: incomplete")
        assert [a.version for a in artifacts.list_artifacts(tmp_path)] == [old.version, new.version]
