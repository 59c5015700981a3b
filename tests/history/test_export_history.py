"""export_history: the reviewed drawings as a data set that train_model reads back."""

import csv
import hashlib
import io
import random

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from recognizer.history import selectors
from recognizer.ml import datasets, featurising
from recognizer.models import ModelVersion, Prediction
from recognizer.storage import drawing_storage
from recognizer.training import sets as training_sets
from tests.support.canvases import FOUR, ONE, SEVEN, ZERO, drawing_data_uri, jittered

pytestmark = pytest.mark.django_db

SHAPES = {0: ZERO, 1: ONE, 4: FOUR, 7: SEVEN}


def drawings(labels: list[int | None], seed: int = 0) -> list[Prediction]:
    """Predictions of drawings of each digit, labelled as given (None: left unlabelled)."""
    rng, made = random.Random(seed), []
    for digit in labels:
        image = drawing_data_uri(jittered(SHAPES[digit if digit is not None else 1], rng))
        response = APIClient().post("/api/predict/", {"image": image}, format="json")
        assert response.status_code == 201, response.content
        Prediction.objects.filter(pk=response.json()["id"]).update(label=digit)
        made.append(Prediction.objects.get(pk=response.json()["id"]))
    return made


def export(path, *args: str) -> str:
    out = io.StringIO()
    call_command("export_history", str(path), *args, stdout=out)
    return out.getvalue()


def manifest(path) -> list[dict]:
    with (path / "manifest.csv").open(newline="") as stream:
        return list(csv.DictReader(stream))


def test_the_labelled_drawings_are_written_in_folders_with_a_manifest(model_in_service, tmp_path):
    made = drawings([1, 7, None, 0])
    output = export(tmp_path / "export")

    assert "3 labelled drawings exported" in output
    folder = tmp_path / "export"
    labelled = [prediction for prediction in made if prediction.label is not None]
    for prediction in labelled:
        written = (folder / str(prediction.label) / f"{prediction.id}.png").read_bytes()
        with drawing_storage().open(prediction.drawing.name, "rb") as stored:
            assert written == stored.read()
    assert sorted(path.name for path in folder.iterdir()) == ["0", "1", "7", "manifest.csv"]
    assert manifest(folder) == [
        {
            "id": str(prediction.id),
            "label": str(prediction.label),
            "guess": str(prediction.digit),
            "model_version": model_in_service.version,
            "created_at": prediction.created_at.isoformat(),
        }
        for prediction in labelled
    ]


def test_a_folder_that_is_not_empty_is_refused_unless_forced(model_in_service, tmp_path):
    (first,) = drawings([1])
    folder = tmp_path / "export"
    export(folder)
    (folder / "README.txt").write_text("kept")
    with pytest.raises(CommandError, match="not empty"):
        export(folder)

    Prediction.objects.filter(pk=first.pk).update(label=4)  # relabelled since
    export(folder, "--force")
    assert not (folder / "1" / f"{first.id}.png").exists()
    assert (folder / "4" / f"{first.id}.png").exists()
    assert (folder / "README.txt").read_text() == "kept"


def test_a_drawing_whose_file_is_gone_is_skipped(model_in_service, tmp_path):
    kept, lost = drawings([1, 7])
    drawing_storage().delete(lost.drawing.name)
    output = export(tmp_path / "export")
    assert f"skipped drawing {lost.id}: file {lost.drawing.name} is gone" in output
    assert [row["id"] for row in manifest(tmp_path / "export")] == [str(kept.id)]


def test_the_drawings_are_read_from_a_bucket(model_in_service, s3_drawings, tmp_path):
    (prediction,) = drawings([7])
    export(tmp_path / "export")
    written = (tmp_path / "export" / "7" / f"{prediction.id}.png").read_bytes()
    with drawing_storage().open(prediction.drawing.name, "rb") as stored:
        assert written == stored.read()


def fingerprints(images, labels) -> list[tuple[int, str]]:
    """Each image's label and the SHA-256 of its ink, sorted: a set to compare."""
    return sorted(
        (int(label), hashlib.sha256(np.ascontiguousarray(image).tobytes()).hexdigest())
        for image, label in zip(images, labels, strict=True)
    )


def test_the_export_reads_back_as_the_same_images_and_labels(model_in_service, tmp_path):
    drawings([0, 1, 4, 7] * 3)
    folder = tmp_path / "export"
    export(folder)

    source = datasets.open_dataset(datasets.parse_dataset(f"folder:{folder}"))
    ((kept, images, problems),) = featurising.batches(source)
    training, held_out = selectors.labelled_drawings()
    history, labels, skipped = training_sets.history_images(training + held_out)
    assert not problems and not skipped
    assert fingerprints(images, source.labels[kept]) == fingerprints(history, labels)

    out = io.StringIO()
    call_command(
        "train_model",
        *("--fast", "--skip-evaluation", "--dataset", "digits", "--dataset", f"folder:{folder}"),
        stdout=out,
    )
    record = ModelVersion.objects.latest().training_data[f"folder:{folder}"]
    # Three drawings of a digit are too few to hold one out (a tenth of 3 rounds to 0).
    assert (record["images"], record["held_out"], record["skipped"]) == (12, 0, 0)
    assert record["per_digit"] == [3, 3, 0, 0, 3, 0, 0, 3, 0, 0]
