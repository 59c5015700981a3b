"""Training on imported data sets, end to end: train_model --dataset, then the API."""

import io

import pytest
from django.core.management import CommandError, call_command
from PIL import Image
from rest_framework.test import APIClient

from recognizer.models import ModelVersion
from tests.support.canvases import ONE, drawing_data_uri
from tests.support.commands import train
from tests.support.handwriting import digit_folder

# Its subject does not depend on the database: not run again on PostgreSQL.
pytestmark = [pytest.mark.django_db, pytest.mark.one_pass]


def active_version() -> str:
    return ModelVersion.objects.get(role=ModelVersion.Role.IN_SERVICE).version


def predict() -> dict:
    response = APIClient().post("/api/predict/", {"image": drawing_data_uri(ONE)}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_a_model_trained_on_an_imported_folder_answers_through_the_api(
    model_in_service, tmp_path, client
):
    folder = digit_folder(tmp_path / "mnist-style", per_digit=10)
    output = train("--dataset", "digits", "--dataset", f"folder:{folder}", "--activate")

    assert "digits: 1347 images to learn from, 450 held out" in output
    assert f"folder:{folder}: 90 images to learn from, 10 held out" in output
    new = active_version()
    assert new != model_in_service.version
    assert predict()["model_version"] == new

    info = client.get("/api/model/").json()
    assert info["version"] == new
    assert info["input_size"] == "8x8"
    assert set(info["training_data"]) == {"digits", f"folder:{folder}"}
    record = info["training_data"][f"folder:{folder}"]
    assert record["kind"] == "folder"
    assert (record["images"], record["held_out"], record["skipped"]) == (90, 10, 0)
    assert record["per_digit"] == [9] * 10
    assert record["copies_each"] == 1  # the fast setting
    assert record["files"][0]["images"] == 100 and len(record["files"][0]["sha256"]) == 64
    # Its held-out tenth judged the model, beside load_digits' test quarter.
    assert info["comparison"][f"held-out folder:{folder}"]["samples"] == 10
    assert info["comparison"]["load_digits test split"]["samples"] == 450


def test_the_input_size_is_chosen_recorded_and_served(model_in_service, tmp_path, client):
    folder = digit_folder(tmp_path / "set", per_digit=10)
    output = train("--dataset", f"folder:{folder}", "--grid", "12", "--activate")

    assert "12x12 input" in output
    answer = predict()
    assert answer["model_version"] == active_version()
    assert client.get("/api/model/").json()["input_size"] == "12x12"
    listed = io.StringIO()
    call_command("list_models", stdout=listed)
    assert "12x12  folder" in listed.getvalue()


def test_the_model_in_service_is_judged_on_what_it_learnt_from(model_in_service, tmp_path):
    folder = digit_folder(tmp_path / "set", per_digit=10)
    train("--dataset", "digits", "--dataset", f"folder:{folder}", "--activate")
    knew = active_version()

    train()  # load_digits alone: still judged on the folder the model in service knew
    judged = ModelVersion.objects.latest().metadata["comparison"]
    assert judged[f"held-out folder:{folder}"]["samples"] == 10

    call_command("activate_model", knew, stdout=io.StringIO())
    digit_folder(folder, per_digit=1, start=20)  # the folder changed: no longer the same set
    train("--grid", "9")  # (another model: the same training again is the same version)
    assert f"held-out folder:{folder}" not in ModelVersion.objects.latest().metadata["comparison"]


def test_bad_files_are_skipped_and_counted(model_in_service, tmp_path):
    folder = digit_folder(tmp_path / "set", per_digit=10)
    (folder / "3" / "notes.png").write_text("not a picture")
    Image.new("L", (28, 28), 255).save(folder / "5" / "blank.png")
    output = train("--dataset", "digits", "--dataset", f"folder:{folder}")

    assert "2 skipped:" in output
    assert f"{folder / '3' / 'notes.png'}: The data is not an image." in output
    assert f"{folder / '5' / 'blank.png'}: The drawing is empty" in output
    record = ModelVersion.objects.latest().training_data[f"folder:{folder}"]
    assert record["skipped"] == 2 and record["images"] + record["held_out"] == 100


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "mnist"], "'mnist' is not a data set: use digits"),
        (["--dataset", "folder:/nowhere/at/all"], "/nowhere/at/all does not exist"),
        (["--dataset", "digits", "--dataset", "digits"], "digits is given twice"),
        (["--grid", "30"], "--grid must be 8 to 20"),
        (["--held-out", "1"], "--held-out must be a share"),
        (["--factor", "-1"], "--factor must be 0 or more"),
    ],
)
def test_impossible_data_sets_and_options_are_explained(model_in_service, args, message):
    with pytest.raises(CommandError, match=message):
        train(*args)
    assert ModelVersion.objects.count() == 1  # nothing trained


def test_an_empty_data_set_is_an_error(model_in_service, tmp_path):
    (tmp_path / "0").mkdir()
    (tmp_path / "0" / "readme.png").write_text("no picture here")
    with pytest.raises(CommandError, match="the data set is empty"):
        train("--dataset", f"folder:{tmp_path}")
    assert ModelVersion.objects.count() == 1
