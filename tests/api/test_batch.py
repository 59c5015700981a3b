"""POST /api/predict/batch/: many drawings in one request, each guessed and stored as if
sent alone, a bad one failing alone; the model run once; throttled per drawing."""

import io
import json
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from rest_framework.test import APIClient

from recognizer.api.schema import EXAMPLE_DRAWING
from recognizer.ml.guessing import LoadedModel
from recognizer.models import Prediction
from recognizer.storage import drawing_storage
from tests.support.answers import assert_error, assert_nothing_stored
from tests.support.canvases import ONE, SEVEN, ZERO, canvas_image, data_uri, one_data_uri, png_bytes

pytestmark = pytest.mark.django_db

BATCH = "/api/predict/batch/"
PREDICT = "/api/predict/"
PREDICTION_FIELDS = {
    *("id", "digit", "not_a_digit", "confidence", "probabilities", "model_version"),
    *("created_at", "features", "feedback_token"),
}
WHITE = (255, 255, 255, 255)


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def drawing(strokes) -> str:
    return data_uri(png_bytes(canvas_image(strokes)))


def upload(strokes, name: str = "digit.png") -> io.BytesIO:
    file = io.BytesIO(png_bytes(canvas_image(strokes, background=WHITE)))
    file.name = name
    return file


def blank() -> str:
    return data_uri(png_bytes(canvas_image([])))


def results(response) -> list[dict]:
    assert response.status_code == 201, response.content
    return response.json()["results"]


def assert_stored_with_files(ids: list[int]) -> None:
    """Assert exactly these predictions are stored, each with its own drawing file."""
    stored = Prediction.objects.filter(pk__in=ids)
    assert sorted(stored.values_list("pk", flat=True)) == sorted(ids)
    assert Prediction.objects.count() == len(ids)
    names = [prediction.drawing.name for prediction in stored]
    assert len(set(names)) == len(ids)
    assert all(drawing_storage().exists(name) for name in names)
    assert len(list(Path(settings.MEDIA_ROOT).rglob("*.png"))) == len(ids)


class TestBatch:
    def test_good_and_bad_images_are_answered_in_order(self, api):
        images = [drawing(ONE), "not a data URI", drawing(ZERO), blank(), drawing(SEVEN)]
        answers = results(api.post(BATCH, {"images": images}, format="json"))
        assert len(answers) == 5
        good = [answers[0], answers[2], answers[4]]
        assert all(set(answer) == PREDICTION_FIELDS for answer in good)
        assert [answer["digit"] for answer in good] == [1, 0, 7]
        assert answers[1] == {
            "error": {
                "detail": "The image must be a data URI such as 'data:image/png;base64,...'.",
                "code": "invalid_data_uri",
            }
        }
        assert answers[3]["error"]["code"] == "empty_drawing"
        assert_stored_with_files([answer["id"] for answer in good])
        for answer in good:
            stored = Prediction.objects.get(pk=answer["id"])
            assert (stored.digit, stored.source) == (answer["digit"], Prediction.Source.API)
            assert stored.probabilities == pytest.approx(answer["probabilities"])

    def test_each_answer_is_the_one_a_single_request_gets(self, api):
        alone = api.post(PREDICT, {"image": drawing(SEVEN)}, format="json").json()
        [batched] = results(api.post(BATCH, {"images": [drawing(SEVEN)]}, format="json"))
        for field in ("digit", "confidence", "probabilities", "model_version", "features"):
            assert batched[field] == pytest.approx(alone[field]), field

    def test_several_multipart_parts(self, api):
        bad = io.BytesIO(b"<svg></svg>")
        bad.name = "digit.svg"
        response = api.post(BATCH, {"images": [upload(ONE), bad, upload(ZERO)]}, format="multipart")
        answers = results(response)
        assert [answer.get("digit") for answer in answers] == [1, None, 0]
        assert answers[1]["error"]["code"] == "unsupported_image_type"
        assert_stored_with_files([answers[0]["id"], answers[2]["id"]])

    def test_every_image_bad_stores_nothing(self, api):
        answers = results(api.post(BATCH, {"images": [blank(), "x"]}, format="json"))
        assert [answer["error"]["code"] for answer in answers] == [
            "empty_drawing",
            "invalid_data_uri",
        ]
        assert_nothing_stored()

    def test_the_model_runs_once_for_the_whole_batch(self, api):
        with mock.patch.object(
            LoadedModel, "predict_many", autospec=True, side_effect=LoadedModel.predict_many
        ) as predict_many:
            answers = results(
                api.post(BATCH, {"images": [drawing(ONE)] * 4 + ["x"]}, format="json")
            )
        assert predict_many.call_count == 1
        assert len(predict_many.call_args.args[1]) == 4
        assert len({answer.get("id") for answer in answers[:4]}) == 4

    def test_a_page_session_owns_its_drawings(self, client):
        client.get("/")
        response = client.post(
            BATCH,
            {"images": [drawing(ONE)]},
            content_type="application/json",
            headers={"X-CSRFToken": client.cookies["csrftoken"].value, "X-Drawing-Page": "1"},
        )
        [answer] = results(response)
        stored = Prediction.objects.get(pk=answer["id"])
        assert stored.source == Prediction.Source.PAGE
        assert stored.session_key == client.session.session_key


# The same bad image sent alone and in a batch: the same code and message.
BAD_IMAGES = {
    "not a data URI": "hello",
    "not base64": "data:image/png;base64,%%%",
    "SVG": data_uri(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
    "garbage bytes": data_uri(b"\x00\x01not an image at all"),
    "empty drawing": data_uri(png_bytes(canvas_image([]))),
}


@pytest.mark.parametrize("image", BAD_IMAGES.values(), ids=BAD_IMAGES.keys())
def test_an_image_is_refused_in_a_batch_as_it_is_alone(api, image):
    alone = api.post(PREDICT, {"image": image}, format="json").json()
    [batched] = results(api.post(BATCH, {"images": [image]}, format="json"))
    assert batched["error"]["code"] == alone["code"]
    assert alone["detail"].endswith(batched["error"]["detail"])


def test_an_oversized_image_fails_alone(api, settings):
    settings.MAX_IMAGE_BYTES = 100_000
    big = data_uri(png_bytes(canvas_image(ONE, background=WHITE).convert("RGB"), "BMP"))
    answers = results(api.post(BATCH, {"images": [big, one_data_uri()]}, format="json"))
    assert answers[0]["error"]["code"] == "image_too_large"
    assert answers[1]["digit"] == 1


class TestLimits:
    @pytest.mark.parametrize(
        ("body", "code"),
        [
            ({"images": []}, "empty"),
            ({}, "required"),
            ({"images": "data:image/png;base64,AAAA"}, "not_a_list"),
            ({"image": "data:image/png;base64,AAAA"}, "required"),
            ({"images": [one_data_uri(), 42]}, "wrong_type"),
            ({"images": [one_data_uri(), None]}, "null"),
        ],
        ids=[
            *("empty list", "no images", "not a list", "the single endpoint's field"),
            *("a number among the images", "a null among the images"),
        ],
    )
    def test_a_request_without_a_list_of_images_fails_whole(self, api, body, code):
        assert_error(api.post(BATCH, body, format="json"), 400, code)
        assert_nothing_stored()

    def test_too_many_images_fail_whole_before_any_is_decoded(self, api, settings):
        settings.PREDICT_BATCH_MAX = 3
        with mock.patch("recognizer.ml.decoding.decode_drawing") as decode:
            response = api.post(BATCH, {"images": [one_data_uri()] * 4}, format="json")
        body = assert_error(response, 400, "max_length")
        assert "3" in body["detail"]
        decode.assert_not_called()
        assert_nothing_stored()
        assert len(results(api.post(BATCH, {"images": [one_data_uri()] * 3}, format="json"))) == 3

    def test_a_multipart_part_that_is_no_file_fails_whole(self, api):
        response = api.post(BATCH, {"images": [upload(ONE), "{}"]}, format="multipart")
        body = assert_error(response, 400, "wrong_type")
        assert "Send each image as a file, in a multipart part named 'images'" in body["detail"]
        assert_nothing_stored()

    def test_too_many_multipart_parts_fail_whole(self, api, settings):
        settings.PREDICT_BATCH_MAX = 2
        response = api.post(BATCH, {"images": [upload(ONE) for _ in range(3)]}, format="multipart")
        assert_error(response, 400, "max_length")
        assert_nothing_stored()

    def test_a_body_over_the_batch_limit_is_refused(self, api, settings):
        body = json.dumps({"images": [one_data_uri()] * 10})
        settings.MAX_BATCH_REQUEST_BYTES = len(body) - 1
        response = api.post(BATCH, body, content_type="application/json")
        assert_error(response, 413, "too_large")
        assert_nothing_stored()

    def test_a_batch_may_be_larger_than_a_single_request(self, api, settings):
        body = json.dumps({"images": [one_data_uri()] * 10})
        settings.MAX_REQUEST_BYTES = len(body) // 2
        response = api.post(BATCH, body, content_type="application/json")
        assert len(results(response)) == 10
        padded = {"image": one_data_uri(), "padding": "x" * len(body)}
        assert_error(api.post(PREDICT, padded, format="json"), 413, "too_large")

    def test_no_model_fails_the_whole_batch(self, api, no_model):
        response = api.post(BATCH, {"images": [one_data_uri()]}, format="json")
        assert_error(response, 503, "model_not_ready")
        assert_nothing_stored()

    def test_a_failed_file_write_stores_nothing(self, api):
        real_save = FileSystemStorage.save
        calls = []

        def second_write_fails(storage, name, content, *args, **kwargs):
            calls.append(name)
            if len(calls) == 2:
                raise OSError("No space left on device")
            return real_save(storage, name, content, *args, **kwargs)

        with mock.patch.object(FileSystemStorage, "save", second_write_fails):
            response = api.post(BATCH, {"images": [one_data_uri()] * 3}, format="json")
        assert_error(response, 503, "storage_unavailable")
        assert_nothing_stored()


class TestThrottling:
    """Anonymous clients may make two predictions a minute (low_rates): images count."""

    def test_a_batch_spends_one_prediction_per_image(self, api, low_rates):
        assert len(results(api.post(BATCH, {"images": [one_data_uri()] * 2}, format="json"))) == 2
        assert_error(api.post(PREDICT, {"image": one_data_uri()}, format="json"), 429, "throttled")

    def test_a_batch_over_what_is_left_is_refused_whole(self, api, low_rates):
        assert api.post(PREDICT, {"image": one_data_uri()}, format="json").status_code == 201
        response = api.post(BATCH, {"images": [one_data_uri()] * 2}, format="json")
        assert_error(response, 429, "throttled")
        assert 0 < int(response["Retry-After"]) <= 60
        assert Prediction.objects.count() == 1
        # What was left is still there for a batch that fits.
        assert len(results(api.post(BATCH, {"images": [one_data_uri()]}, format="json"))) == 1

    def test_multipart_parts_are_counted_too(self, api, low_rates):
        response = api.post(BATCH, {"images": [upload(ONE) for _ in range(3)]}, format="multipart")
        assert_error(response, 429, "throttled")
        assert_nothing_stored()

    def test_a_batch_larger_than_the_whole_rate_never_fits(self, api, low_rates):
        response = api.post(BATCH, {"images": [one_data_uri()] * 3}, format="json")
        body = assert_error(response, 429, "throttled")
        assert "Retry-After" not in response
        assert body["detail"]


def test_the_openapi_schema_documents_the_batch_with_a_working_example(api):
    schema = api.get("/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"})
    batch = schema.json()["paths"]["/api/predict/batch/"]["post"]
    assert {"201", "400", "413", "429", "503"} <= set(batch["responses"])
    content = batch["requestBody"]["content"]
    assert set(content) == {"application/json", "multipart/form-data"}
    example = next(iter(content["application/json"]["examples"].values()))["value"]
    answers = results(api.post(BATCH, example, format="json"))
    assert answers[0]["digit"] == 7
    assert answers[1]["error"]["code"] == "invalid_image"
    components = schema.json()["components"]["schemas"]
    assert {"BatchResult", "BatchError", "PredictBatch"} <= set(components)
    images = components["PredictBatchRequestRequest"]["properties"]["images"]
    assert (images["minItems"], images["maxItems"]) == (1, settings.PREDICT_BATCH_MAX)
    assert example["images"][0] == EXAMPLE_DRAWING
