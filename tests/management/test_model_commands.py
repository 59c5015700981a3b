"""evaluate_model and contact_sheet: looking at what the model does with drawings."""

import re

import pytest
from django.core.management import CommandError
from PIL import Image

from recognizer.models import ModelVersion
from tests.support.canvases import ONE, ZERO, canvas_image
from tests.support.commands import command
from tests.support.handwriting import digit_folder

# Its subject does not depend on the database: not run again on PostgreSQL.
pytestmark = [pytest.mark.django_db, pytest.mark.one_pass]

SETS = [
    "load_digits test, drawn large (nearest)",
    "load_digits test, drawn large (bilinear)",
    "synthetic strokes (transparent)",
    "synthetic strokes (white)",
]


def test_evaluate_model_prints_accuracy_per_digit_and_confusion_for_every_set(model_in_service):
    output = command("evaluate_model", "--per-class", "2")
    for name in SETS:
        assert name in output
    assert output.count("predicted as") == 4
    # load_digits' test split has 450 images; the synthetic sets 2 per digit.
    assert " 450 " in output and " 20 " in output
    model_in_service.refresh_from_db()
    assert model_in_service.evaluation == {}  # shown, not recorded


def test_recorded_figures_are_shown_by_the_model_endpoint(model_in_service, client):
    command("evaluate_model", "--per-class", "1", "--record")
    model_in_service.refresh_from_db()
    assert sorted(model_in_service.evaluation) == sorted(SETS)
    body = client.get("/api/model/").json()
    drawn = body["evaluation"]["load_digits test, drawn large (bilinear)"]
    assert drawn["samples"] == 450 and drawn["accuracy"] > 0.9
    assert len(drawn["per_class"]) == 10
    assert sum(map(sum, drawn["confusion"])) == 450
    assert 0 <= drawn["calibration_error"] < 0.2


def test_evaluate_model_scores_any_data_set(model_in_service, tmp_path):
    folder = digit_folder(tmp_path / "set", per_digit=3)
    output = command("evaluate_model", "--dataset", f"folder:{folder}", "--dataset", "digits")
    assert f"folder:{folder}" in output and " 30 " in output
    assert "digits " in output and " 1797 " in output
    assert output.count("predicted as") == 2
    assert "load_digits test, drawn large" not in output  # only the sets asked for


def test_evaluate_model_scores_the_held_out_part_and_records_it(model_in_service, tmp_path):
    command("evaluate_model", "--per-class", "1", "--record")
    output = command("evaluate_model", "--dataset", "digits", "--held-out", "--record")
    assert "digits, held out" in output and " 450 " in output
    model_in_service.refresh_from_db()
    assert model_in_service.evaluation["digits, held out"]["samples"] == 450
    assert sorted(SETS) == sorted(set(model_in_service.evaluation) - {"digits, held out"})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--held-out"], "--held-out applies to --dataset"),
        (["--dataset", "zip:a.zip"], "not a data set"),
    ],
)
def test_evaluate_model_explains_bad_data_sets(model_in_service, args, message):
    with pytest.raises(CommandError, match=message):
        command("evaluate_model", *args)


def test_evaluate_model_refuses_an_empty_data_set(model_in_service, tmp_path):
    (tmp_path / "0").mkdir()
    (tmp_path / "0" / "a.png").write_text("no picture")
    with pytest.raises(CommandError, match="No usable image"):
        command("evaluate_model", "--dataset", f"folder:{tmp_path}")


def test_list_models_shows_the_input_size_and_the_data(model_in_service):
    output = command("list_models")
    assert "input" in output.splitlines()[0] and "data" in output.splitlines()[0]
    assert f"* {model_in_service.version}" in output
    assert re.search(r" 8x8 +digits ", output)


def test_evaluate_model_refuses_an_unknown_version(model_in_service):
    with pytest.raises(CommandError, match="There is no model version '0123456789ab'"):
        command("evaluate_model", "--model", "0123456789ab")


def test_contact_sheet_of_synthetic_drawings(model_in_service, tmp_path):
    sheet = tmp_path / "sheet.png"
    output = command("contact_sheet", str(sheet), "--per-class", "1", "--background", "white")
    assert "10 drawings written" in output
    image = Image.open(sheet)
    assert image.format == "PNG" and image.height > 10 * 80


def test_contact_sheet_of_your_own_drawings(model_in_service, tmp_path):
    canvas_image(ONE).save(tmp_path / "one.png")
    canvas_image(ZERO).save(tmp_path / "zero.png")
    sheet = tmp_path / "sheet.png"
    command(
        "contact_sheet",
        str(sheet),
        "--drawings",
        f"1={tmp_path / 'one.png'}",
        f"0={tmp_path / 'zero.png'}",
    )
    assert 2 * 80 < Image.open(sheet).height < 3 * 90


@pytest.mark.parametrize(
    ("spec", "message"),
    [("one.png", "not DIGIT=FILE"), ("12=x.png", "not DIGIT=FILE"), ("1=missing.png", "missing")],
)
def test_contact_sheet_explains_bad_drawing_arguments(model_in_service, tmp_path, spec, message):
    with pytest.raises(CommandError, match=message):
        command("contact_sheet", str(tmp_path / "sheet.png"), "--drawings", spec)


def test_contact_sheet_explains_an_unreadable_drawing(model_in_service, tmp_path):
    (tmp_path / "bad.png").write_bytes(b"not a picture")
    with pytest.raises(CommandError, match="could not be read"):
        command("contact_sheet", str(tmp_path / "sheet.png"), "--drawings", f"3={tmp_path}/bad.png")


def test_contact_sheet_explains_an_unwritable_output(model_in_service, tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        command("contact_sheet", str(tmp_path / "missing" / "sheet.png"), "--per-class", "1")


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("TRAINING_AUGMENTATION_FACTOR", -1, "0 or more"),
        ("TRAINING_JOBS", 0, "-1"),
        ("TRAINING_JOBS", -2, "-1"),
    ],
)
def test_train_model_explains_impossible_settings(
    model_in_service, settings, setting, value, message
):
    setattr(settings, setting, value)
    with pytest.raises(CommandError, match=message):
        command("train_model", "--fast")
    assert ModelVersion.objects.count() == 1  # nothing trained
