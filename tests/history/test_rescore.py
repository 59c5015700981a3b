"""`rescore_history`: versions guess the same labelled drawings again, and the statistics
page compares them side by side on exactly those drawings."""

import io
from unittest import mock

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from recognizer.history import statistics
from recognizer.history.drawings import drawing_open
from recognizer.history.selectors import HOLD_OUT_EVERY
from recognizer.ml.decoding import decode_drawing
from recognizer.models import Prediction, Rescore
from recognizer.registry.serving import load_version
from recognizer.storage import drawing_storage
from tests.support.canvases import ONE, SEVEN, THREE, ZERO, drawing_data_uri
from tests.support.factories import prediction_make

pytestmark = pytest.mark.django_db

STATISTICS = "/admin/recognizer/prediction/statistics/"


@pytest.fixture
def drawn() -> dict[str, Prediction]:
    """Four drawings through the API, three of them labelled."""
    rows = {}
    for name, strokes in {"one": ONE, "zero": ZERO, "seven": SEVEN, "three": THREE}.items():
        answer = APIClient().post(
            "/api/predict/", {"image": drawing_data_uri(strokes)}, format="json"
        )
        rows[name] = Prediction.objects.get(pk=answer.json()["id"])
    for name, label in {"one": 1, "zero": 0, "seven": 7}.items():
        Prediction.objects.filter(pk=rows[name].pk).update(label=label)
    return rows


def rescore(*versions: str) -> str:
    output = io.StringIO()
    call_command("rescore_history", *(f"--version={v}" for v in versions), stdout=output)
    return output.getvalue()


class TestCommand:
    def test_each_version_guesses_every_labelled_drawing(
        self, drawn, model_in_service, other_version
    ):
        output = rescore(model_in_service.version, other_version.version)
        labelled = {drawn[name].pk for name in ("one", "zero", "seven")}
        for version in (model_in_service.version, other_version.version):
            assert f"Model {version}: 3 drawings guessed again." in output
            rows = Rescore.objects.filter(model_version=version)
            assert set(rows.values_list("prediction", flat=True)) == labelled
            model = load_version(version)
            for row in rows:
                with drawing_open(row.prediction.drawing.name) as file:
                    ink = decode_drawing(file.read(), max_side=2048).ink
                guess = model.predict(ink)
                assert (row.digit, row.confidence) == (guess.digit, pytest.approx(guess.confidence))
        assert f"rescoring with {other_version.version}" in output  # the progress bar
        assert "3/3" in output

    def test_a_second_run_guesses_only_what_is_new(self, drawn, model_in_service):
        rescore(model_in_service.version)
        Prediction.objects.filter(pk=drawn["three"].pk).update(label=3)
        assert "1 drawings guessed again" in rescore(model_in_service.version)
        assert Rescore.objects.count() == 4

    def test_a_drawing_whose_file_is_gone_is_skipped_and_tried_again(self, drawn, model_in_service):
        drawing_storage().delete(drawn["zero"].drawing.name)
        output = rescore(model_in_service.version)
        assert "2 drawings guessed again" in output
        assert "1 drawings skipped" in output
        assert "1 drawings skipped" in rescore(model_in_service.version)

    def test_an_unknown_version_fails_before_any_is_run(self, drawn, model_in_service):
        with pytest.raises(CommandError, match="no model version 'ffffffffffff'"):
            rescore(model_in_service.version, "ffffffffffff")
        assert Rescore.objects.count() == 0

    def test_a_storage_that_fails_stops_the_run_with_the_reason(self, drawn, model_in_service):
        # A bucket's own error (botocore's kinds are no OSError), not a missing file.
        with (
            mock.patch.object(
                FileSystemStorage, "open", side_effect=RuntimeError("bucket unreachable")
            ),
            pytest.raises(CommandError, match="could not be read"),
        ):
            rescore(model_in_service.version)
        assert Rescore.objects.count() == 0


def labelled(n: int, label: int) -> Prediction:
    return prediction_make(digit=label, model_version="aaaaaaaaaaaa", label=label)


@pytest.fixture
def rescored() -> list[Prediction]:
    """Version A guessed six labelled drawings again, B the first five only; both an
    unlabelled one. A is right on three of the five, B on four."""
    drawings = [labelled(n, label) for n, label in enumerate([1, 1, 2, 2, 3, 4])]
    unlabelled = labelled(6, 5)
    Prediction.objects.filter(pk=unlabelled.pk).update(label=None)
    guesses = {"aaaaaaaaaaaa": [1, 1, 2, 9, 9, 4], "bbbbbbbbbbbb": [1, 1, 2, 2, 9]}
    Rescore.objects.bulk_create(
        Rescore(prediction=prediction, model_version=version, digit=digit, confidence=0.5)
        for version, digits in guesses.items()
        for prediction, digit in [*zip(drawings, digits, strict=False), (unlabelled, 5)]
    )
    return drawings[:5]


class TestComparison:
    def test_versions_are_compared_on_the_drawings_all_of_them_guessed(self, rescored):
        a, b = statistics.rescore_comparison()
        assert (a.version, b.version) == ("aaaaaaaaaaaa", "bbbbbbbbbbbb")
        assert (a.labelled, a.correct, b.labelled, b.correct) == (5, 3, 5, 4)
        assert [(row.labelled, row.correct) for row in a.by_digit[1:4]] == [(2, 2), (2, 1), (1, 0)]
        assert [(row.labelled, row.correct) for row in b.by_digit[1:4]] == [(2, 2), (2, 2), (1, 0)]
        assert a.by_digit[4].labelled == 0  # rescored by A alone
        held_out = [p for p in rescored if p.pk % HOLD_OUT_EVERY == 0]
        assert a.held_out.labelled == b.held_out.labelled == len(held_out)

    def test_nothing_rescored(self):
        assert statistics.rescore_comparison() == []

    def test_the_statistics_page_shows_them_side_by_side(self, staff_client, rescored):
        response = staff_client.get(STATISTICS)
        assert response.status_code == 200
        page = response.content.decode()
        assert "Model versions on the same drawings" in page
        header = '<th scope="col"><code>{}</code></th>'
        assert header.format("aaaaaaaaaaaa") + header.format("bbbbbbbbbbbb") in page
        assert '<tr><th scope="row">All 5</th><td>60.0%</td><td>80.0%</td></tr>' in page
        assert '<td title="1 of 2">50.0%</td><td title="2 of 2">100.0%</td>' in page

    def test_the_page_says_how_to_rescore_when_nothing_was(self, staff_client):
        page = staff_client.get(STATISTICS).content.decode()
        assert "manage.py rescore_history --version VERSION --version OTHER" in page
