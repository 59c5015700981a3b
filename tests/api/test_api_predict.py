import io
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import OperationalError
from django.test import Client
from PIL import Image
from rest_framework.test import APIClient

from recognizer.history import services
from recognizer.ml.decoding import decode_drawing
from recognizer.models import Prediction
from recognizer.storage import drawing_storage
from tests.support.answers import assert_error, assert_nothing_stored
from tests.support.canvases import ONE, ZERO, canvas_image, data_uri, one_data_uri, png_bytes

pytestmark = pytest.mark.django_db

PREDICT = "/api/predict/"


def stored_files() -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


class TestPredict:
    def test_a_data_uri_gets_a_guess(self, api):
        response = api.post(PREDICT, {"image": one_data_uri()}, format="json")
        assert response.status_code == 201, response.content
        body = response.json()
        assert set(body) == {
            "id",
            "digit",
            "not_a_digit",
            "confidence",
            "probabilities",
            "model_version",
            "created_at",
            "features",
            "feedback_token",
        }
        assert body["digit"] == 1
        assert body["not_a_digit"] is False
        assert len(body["probabilities"]) == 10
        assert sum(body["probabilities"]) == pytest.approx(1.0)
        assert body["confidence"] == pytest.approx(max(body["probabilities"]))
        assert len(body["features"]) == 64
        assert all(0 <= value <= 16 for value in body["features"])

    def test_the_drawing_and_the_guess_are_stored_together(self, api):
        body = api.post(PREDICT, {"image": one_data_uri()}, format="json").json()
        prediction = Prediction.objects.get(pk=body["id"])
        assert prediction.digit == body["digit"] == 1
        assert prediction.model_version == body["model_version"]
        assert prediction.source == Prediction.Source.API
        assert prediction.session_key == ""
        assert len(prediction.features) == 64
        assert prediction.label is None
        assert prediction.drawing.name.startswith("drawings/")
        with drawing_storage().open(prediction.drawing.name) as stored:
            image = Image.open(stored)
            assert (image.format, image.mode, image.size) == ("PNG", "L", (280, 280))
            assert image.getpixel((5, 5)) == 255  # transparent canvas stored as white paper
        assert stored_files() == [Path(settings.MEDIA_ROOT) / prediction.drawing.name]

    def test_a_zero_is_recognised(self, api):
        image = data_uri(png_bytes(canvas_image(ZERO)))
        assert api.post(PREDICT, {"image": image}, format="json").json()["digit"] == 0

    def test_a_file_upload_gets_a_guess(self, api):
        upload = io.BytesIO(png_bytes(canvas_image(ONE, background=(255, 255, 255, 255))))
        upload.name = "one.png"
        response = api.post(PREDICT, {"image": upload}, format="multipart")
        assert response.status_code == 201, response.content
        assert response.json()["digit"] == 1

    def test_the_tutorial_path_without_slash_works(self, api):
        response = api.post("/api/predict", {"image": one_data_uri()}, format="json")
        assert response.status_code == 201
        assert response.json()["digit"] == 1

    def test_get_is_not_allowed(self, api):
        assert_error(api.get(PREDICT), 405, "method_not_allowed")


class TestFailures:
    def test_no_model_answers_503_naming_the_command(self, api, no_model):
        body = assert_error(
            api.post(PREDICT, {"image": one_data_uri()}, format="json"), 503, "model_not_ready"
        )
        assert "manage.py train_model" in body["detail"]
        assert_nothing_stored()

    def test_a_database_failure_answers_503_and_removes_the_file(self, api):
        with mock.patch.object(
            Prediction, "save", side_effect=OperationalError("database is locked")
        ):
            response = api.post(PREDICT, {"image": one_data_uri()}, format="json")
        assert_error(response, 503, "database_unavailable")
        assert_nothing_stored()

    def test_a_failed_file_write_answers_503_and_leaves_no_row(self, api):
        with mock.patch.object(
            FileSystemStorage, "save", side_effect=OSError("No space left on device")
        ):
            response = api.post(PREDICT, {"image": one_data_uri()}, format="json")
        assert_error(response, 503, "storage_unavailable")
        assert_nothing_stored()


class TestPageSession:
    """Requests from the drawing page carry its session and must carry CSRF."""

    def test_the_page_session_owns_its_predictions(self, client):
        client.get("/")
        token = client.cookies["csrftoken"].value
        response = client.post(
            PREDICT,
            {"image": one_data_uri()},
            content_type="application/json",
            headers={"X-CSRFToken": token, "X-Drawing-Page": "1"},
        )
        assert response.status_code == 201
        prediction = Prediction.objects.get()
        assert prediction.source == Prediction.Source.PAGE
        assert prediction.session_key == client.session.session_key

    def test_the_api_docs_page_session_owns_its_drawings_stored_as_the_apis(self, client):
        client.get("/api/docs/")
        client.get("/")  # the CSRF cookie, as the docs page has it
        response = client.post(
            PREDICT,
            {"image": one_data_uri()},
            content_type="application/json",
            headers={"X-CSRFToken": client.cookies["csrftoken"].value},
        )
        assert response.status_code == 201
        prediction = Prediction.objects.get()
        assert prediction.source == Prediction.Source.API
        assert prediction.session_key == client.session.session_key

    def test_a_request_with_the_session_but_without_the_token_is_refused(self):
        browser = APIClient(enforce_csrf_checks=True)
        browser.get("/")
        response = browser.post(PREDICT, {"image": one_data_uri()}, format="json")
        body = assert_error(response, 403, "permission_denied")
        assert "CSRF" in body["detail"]
        assert_nothing_stored()


def page_post(client, body: dict):
    """A request as the drawing page sends it: session cookie and CSRF token."""
    return client.post(
        PREDICT,
        body,
        content_type="application/json",
        headers={"X-CSRFToken": client.cookies["csrftoken"].value, "X-Drawing-Page": "1"},
    )


@pytest.fixture
def drawing_session(client):
    """A browser session that has opened the drawing page."""
    client.get("/")
    return client


class TestReplaces:
    """The page replaces its previous guess of the same drawing: one row per drawing."""

    def test_replacing_its_own_guess_keeps_only_the_new_one(
        self, drawing_session, django_capture_on_commit_callbacks
    ):
        first = page_post(drawing_session, {"image": one_data_uri()}).json()
        first_file = Path(settings.MEDIA_ROOT) / Prediction.objects.get().drawing.name
        with django_capture_on_commit_callbacks(execute=True):
            response = page_post(
                drawing_session, {"image": one_data_uri(), "replaces": first["id"]}
            )
        assert response.status_code == 201, response.content
        second = Prediction.objects.get()
        assert second.pk == response.json()["id"] != first["id"]
        assert second.session_key == drawing_session.session.session_key
        assert not first_file.exists()
        assert stored_files() == [Path(settings.MEDIA_ROOT) / second.drawing.name]

    def test_null_replaces_nothing(self, drawing_session):
        page_post(drawing_session, {"image": one_data_uri()})
        assert (
            page_post(drawing_session, {"image": one_data_uri(), "replaces": None}).status_code
            == 201
        )
        assert Prediction.objects.count() == 2

    def test_another_sessions_guess_is_refused_and_nothing_changes(self, drawing_session):
        other = Client()
        other.get("/")
        theirs = page_post(other, {"image": one_data_uri()}).json()
        files_before = stored_files()
        response = page_post(drawing_session, {"image": one_data_uri(), "replaces": theirs["id"]})
        assert_error(response, 403, "not_yours")
        assert list(Prediction.objects.values_list("pk", flat=True)) == [theirs["id"]]
        assert stored_files() == files_before

    def test_a_caller_without_a_session_cannot_replace(self, api, drawing_session):
        mine = page_post(drawing_session, {"image": one_data_uri()}).json()
        anonymous = api.post(PREDICT, {"image": one_data_uri()}, format="json").json()
        for pk in (mine["id"], anonymous["id"]):
            response = api.post(PREDICT, {"image": one_data_uri(), "replaces": pk}, format="json")
            assert_error(response, 403, "not_yours")
        assert Prediction.objects.count() == 2

    def test_a_labelled_guess_is_kept(self, drawing_session):
        labelled = page_post(drawing_session, {"image": one_data_uri()}).json()
        Prediction.objects.filter(pk=labelled["id"]).update(label=1)
        response = page_post(drawing_session, {"image": one_data_uri(), "replaces": labelled["id"]})
        assert_error(response, 403, "already_labelled")
        assert list(Prediction.objects.values_list("pk", flat=True)) == [labelled["id"]]
        assert len(stored_files()) == 1

    @pytest.mark.parametrize(
        ("replaces", "code"),
        [(999_999, "does_not_exist"), (0, "min_value"), ("seven", "invalid"), (2**64, "max_value")],
    )
    def test_an_id_that_names_no_prediction_is_a_bad_request(self, drawing_session, replaces, code):
        response = page_post(drawing_session, {"image": one_data_uri(), "replaces": replaces})
        body = assert_error(response, 400, code)
        assert f"prediction {replaces} " in body["detail"] or body["detail"].startswith(
            "replaces: "
        )
        assert_nothing_stored()

    def test_a_multipart_upload_can_replace_too(
        self, drawing_session, django_capture_on_commit_callbacks
    ):
        first = page_post(drawing_session, {"image": one_data_uri()}).json()
        upload = io.BytesIO(png_bytes(canvas_image(ONE)))
        upload.name = "one.png"
        with django_capture_on_commit_callbacks(execute=True):
            response = drawing_session.post(
                PREDICT,
                {"image": upload, "replaces": str(first["id"])},
                headers={"X-CSRFToken": drawing_session.cookies["csrftoken"].value},
            )
        assert response.status_code == 201, response.content
        assert list(Prediction.objects.values_list("pk", flat=True)) == [response.json()["id"]]
        assert len(stored_files()) == 1


def test_a_guess_labelled_while_its_replacement_was_computed_is_kept(page_session_prediction):
    """Feedback may land between validating `replaces` and storing: the lock decides."""
    prediction, session_key = page_session_prediction
    Prediction.objects.filter(pk=prediction.pk).update(label=1)  # the in-memory copy is stale
    files_before = stored_files()
    drawing = decode_drawing(png_bytes(canvas_image(ONE)), max_side=settings.MAX_IMAGE_SIDE)
    with pytest.raises(services.PredictionKept) as refused:
        services.prediction_create(
            drawing=drawing, session_key=session_key, replaces_id=prediction.pk
        )
    assert refused.value.code == "already_labelled"
    assert list(Prediction.objects.values_list("pk", flat=True)) == [prediction.pk]
    assert stored_files() == files_before


@pytest.fixture
def page_session_prediction() -> tuple[Prediction, str]:
    drawing = decode_drawing(png_bytes(canvas_image(ONE)), max_side=settings.MAX_IMAGE_SIDE)
    prediction = services.prediction_create(drawing=drawing, session_key="a-session")
    return prediction, "a-session"


class TestWithdraw:
    """Undoing every stroke takes the live guess back: no row, no file."""

    @staticmethod
    def withdraw(client, pk: int):
        headers = (
            {"X-CSRFToken": client.cookies["csrftoken"].value}
            if "csrftoken" in client.cookies
            else {}
        )
        return client.delete(f"/api/predictions/{pk}/", headers=headers)

    def test_the_session_that_drew_it_takes_it_back(
        self, drawing_session, django_capture_on_commit_callbacks
    ):
        made = page_post(drawing_session, {"image": one_data_uri()}).json()
        with django_capture_on_commit_callbacks(execute=True):
            response = self.withdraw(drawing_session, made["id"])
        assert response.status_code == 204
        assert_nothing_stored()

    def test_another_session_or_a_script_cannot(self, drawing_session, api):
        made = page_post(drawing_session, {"image": one_data_uri()}).json()
        other = Client()
        other.get("/")
        assert_error(self.withdraw(other, made["id"]), 403, "not_yours")
        assert_error(api.delete(f"/api/predictions/{made['id']}/"), 403, "not_yours")
        assert Prediction.objects.filter(pk=made["id"]).exists()

    def test_a_labelled_drawing_is_kept(self, drawing_session):
        made = page_post(drawing_session, {"image": one_data_uri()}).json()
        Prediction.objects.filter(pk=made["id"]).update(label=1)
        assert_error(self.withdraw(drawing_session, made["id"]), 403, "already_labelled")
        assert len(stored_files()) == 1

    def test_a_session_cookie_without_the_csrf_token_is_refused(self, drawing_session):
        made = page_post(drawing_session, {"image": one_data_uri()}).json()
        browser = APIClient(enforce_csrf_checks=True)
        browser.cookies = drawing_session.cookies
        response = browser.delete(f"/api/predictions/{made['id']}/")
        assert_error(response, 403)
        assert Prediction.objects.filter(pk=made["id"]).exists()

    def test_an_unknown_drawing_is_not_found(self, drawing_session):
        assert_error(self.withdraw(drawing_session, 999_999), 404, "not_found")
