"""Odd and hostile input: a clear 4xx with a JSON body, or a right guess; never a 5xx."""

import io
import struct
import zlib
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from PIL import Image, PngImagePlugin
from rest_framework.test import APIClient

from recognizer.models import Prediction
from tests.drawings import ONE, SEVEN, canvas_image, data_uri, png_bytes

pytestmark = pytest.mark.django_db

PREDICT = "/api/predict/"
WHITE = (255, 255, 255, 255)


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def encoded(image: Image.Image, format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def upload(data: bytes, name: str) -> io.BytesIO:
    file = io.BytesIO(data)
    file.name = name
    return file


def send_json(api: APIClient, body: object):
    return api.post(PREDICT, body, format="json")


def refused(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["detail"]
    if code is not None:
        assert body["code"] == code
    assert Prediction.objects.count() == 0
    assert not any(Path(settings.MEDIA_ROOT).rglob("*.png"))
    return body


def guessed(response, digit: int) -> dict:
    assert response.status_code == 201, response.content
    assert response.json()["digit"] == digit
    return response.json()


def png_header_only(width: int, height: int) -> bytes:
    """A valid PNG signature and header claiming a huge size, with one tiny chunk of data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 1000)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


class TestRequestShape:
    @pytest.mark.parametrize(
        "content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded"]
    )
    def test_wrong_content_type(self, api, content_type):
        response = api.post(PREDICT, "image=x", content_type=content_type)
        refused(response, 415, "unsupported_media_type")

    @pytest.mark.parametrize("body", ['{"image": ', "[1, 2", "\x00\x01", "{'image': 1}"])
    def test_invalid_json(self, api, body):
        refused(api.post(PREDICT, body, content_type="application/json"), 400, "parse_error")

    @pytest.mark.parametrize(
        "escaped", ["\\ud800", "data:image/png;base64,\\udfff", "data:\\ud83d;base64,AA"]
    )
    def test_lone_surrogates_in_json_strings(self, api, escaped):
        body = '{"image": "' + escaped + '"}'
        response = api.post(PREDICT, body, content_type="application/json")
        assert 400 <= response.status_code < 500
        refused(response, response.status_code)

    @pytest.mark.parametrize("body", [[], "a string", 12, None])
    def test_json_that_is_not_an_object(self, api, body):
        refused(send_json(api, body), 400)

    @pytest.mark.parametrize("value", [1, 1.5, True, None, [], {}, ["data:image/png;base64,"]])
    def test_image_that_is_not_a_string(self, api, value):
        refused(send_json(api, {"image": value}), 400)

    def test_an_empty_body(self, api):
        refused(api.post(PREDICT, b"", content_type="application/json"), 400)

    def test_a_20_mb_body_is_refused_without_being_read(self):
        class Unreadable(io.RawIOBase):
            read_calls = 0

            def read(self, size: int = -1) -> bytes:
                Unreadable.read_calls += 1
                raise AssertionError("the body must not be read")

        statuses = []
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": PREDICT,
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(20 * 1024 * 1024),
            "wsgi.input": Unreadable(),
            "wsgi.url_scheme": "http",
        }
        body = b"".join(WSGIHandler()(environ, lambda status, headers: statuses.append(status)))
        assert statuses == ["413 Request Entity Too Large"]
        assert b'"code": "too_large"' in body
        assert Unreadable.read_calls == 0


class TestDataURI:
    @pytest.mark.parametrize(
        "mime", ["image/gif", "image/svg+xml", "text/html", "application/octet-stream"]
    )
    def test_another_mime_type(self, api, mime):
        refused(send_json(api, {"image": f"data:{mime};base64,AAAA"}), 415)

    def test_no_base64_marker(self, api):
        image = "data:image/png," + png_bytes(canvas_image(ONE)).hex()
        refused(send_json(api, {"image": image}), 400, "invalid_data_uri")

    @pytest.mark.parametrize(
        "payload",
        ["iVBORw0KGgo=garbage!", "iVBORw0KGgo", "====", "iVBO\u00e9RwK", "iV BO\tRw\n0K\x00"],
        ids=["garbage", "padding", "only-padding", "unicode", "control-characters"],
    )
    def test_malformed_base64(self, api, payload):
        refused(send_json(api, {"image": f"data:image/png;base64,{payload}"}), 400)

    @pytest.mark.parametrize(
        "text",
        ["\u202edata:image/png;base64,AAAA", "data:image/png;base64,\u0000", "\U0001f600" * 50],
    )
    def test_unicode_and_control_characters(self, api, text):
        response = send_json(api, {"image": text})
        assert 400 <= response.status_code < 500
        refused(response, response.status_code)


class TestImageContent:
    def test_a_truncated_png(self, api):
        data = png_bytes(canvas_image(ONE))
        refused(send_json(api, {"image": data_uri(data[: len(data) // 3])}), 400, "invalid_image")

    @pytest.mark.parametrize("format", ["GIF", "BMP", "TIFF"])
    @pytest.mark.parametrize("disguise", ["data-uri", "upload"])
    def test_other_formats_are_refused_by_content_whatever_they_claim(self, api, format, disguise):
        data = encoded(canvas_image(ONE, background=WHITE).convert("RGB"), format)
        if disguise == "data-uri":
            response = send_json(api, {"image": data_uri(data, "image/png")})
        else:
            response = api.post(PREDICT, {"image": upload(data, "digit.png")}, format="multipart")
        body = refused(response, 415, "unsupported_image_type")
        assert format in body["detail"]

    def test_svg_is_refused(self, api):
        svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'
        refused(api.post(PREDICT, {"image": upload(svg, "digit.png")}, format="multipart"), 415)

    @pytest.mark.parametrize("colour", [0, 255])
    def test_a_one_pixel_image_is_an_empty_drawing(self, api, colour):
        data = encoded(Image.new("L", (1, 1), colour), "PNG")
        refused(send_json(api, {"image": data_uri(data)}), 400, "empty_drawing")

    def test_a_10000_pixel_wide_image_is_refused_from_its_header(self, api):
        data = encoded(Image.new("1", (10000, 10000), 1), "PNG")
        with mock.patch.object(Image.Image, "load", side_effect=AssertionError("decoded")):
            body = refused(send_json(api, {"image": data_uri(data)}), 413, "image_too_large")
        assert f"at most {settings.MAX_IMAGE_SIDE}x{settings.MAX_IMAGE_SIDE}" in body["detail"]

    def test_a_decompression_bomb_is_refused_before_decoding(self, api):
        bomb = png_header_only(60000, 60000)  # 3.6 gigapixels claimed in 1 kB
        with mock.patch.object(Image.Image, "load", side_effect=AssertionError("decoded")):
            refused(send_json(api, {"image": data_uri(bomb)}), 413, "image_too_large")

    def test_an_animated_image_is_judged_by_its_first_frame(self, api):
        first = canvas_image(ONE, background=WHITE)
        second = canvas_image(SEVEN, background=WHITE)
        data = encoded(first, "PNG", save_all=True, append_images=[second], duration=100)
        assert Image.open(io.BytesIO(data)).n_frames == 2
        guessed(send_json(api, {"image": data_uri(data)}), 1)

    def test_a_cmyk_jpeg(self, api):
        image = canvas_image(ONE, background=WHITE).convert("RGB").convert("CMYK")
        data = encoded(image, "JPEG", quality=95)
        assert Image.open(io.BytesIO(data)).mode == "CMYK"
        guessed(send_json(api, {"image": data_uri(data, "image/jpeg")}), 1)

    def test_a_16_bit_png(self, api):
        grey = canvas_image(ONE, background=WHITE).convert("L")
        deep = Image.fromarray(np.asarray(grey).astype(np.uint16) * 257)
        data = encoded(deep, "PNG")
        assert Image.open(io.BytesIO(data)).mode.startswith("I")
        guessed(send_json(api, {"image": data_uri(data)}), 1)

    def test_a_palette_png_with_transparency(self, api):
        image = canvas_image(ONE).convert("P")  # transparent background in the palette
        data = encoded(image, "PNG")
        assert "transparency" in Image.open(io.BytesIO(data)).info
        guessed(send_json(api, {"image": data_uri(data)}), 1)

    def test_exif_orientation_is_applied(self, api):
        upright = canvas_image(SEVEN, background=WHITE).convert("RGB")
        stored_sideways = upright.transpose(Image.Transpose.ROTATE_90)
        exif = Image.Exif()
        exif[0x0112] = 6  # "rotate 90° clockwise to display"
        with_exif = encoded(stored_sideways, "JPEG", quality=95, exif=exif.tobytes())
        without_exif = encoded(stored_sideways, "JPEG", quality=95)
        assert send_json(api, {"image": data_uri(without_exif, "image/jpeg")}).json()["digit"] != 7
        Prediction.objects.all().delete()
        guessed(send_json(api, {"image": data_uri(with_exif, "image/jpeg")}), 7)

    def test_the_stored_file_is_our_own_png_not_the_uploaded_bytes(self, api):
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", "<script>alert(1)</script>")
        data = encoded(canvas_image(ONE), "PNG", pnginfo=info)
        answer = guessed(
            api.post(PREDICT, {"image": upload(data, "../../evil.html")}, format="multipart"), 1
        )
        prediction = Prediction.objects.get(pk=answer["id"])
        assert prediction.drawing.name.startswith("drawings/")
        assert "evil" not in prediction.drawing.name
        stored = Path(settings.MEDIA_ROOT, prediction.drawing.name).read_bytes()
        assert stored != data
        assert b"<script>" not in stored
        assert Image.open(io.BytesIO(stored)).mode == "L"


class TestOtherStringFields:
    """Unicode and control characters in every other string the API reads."""

    WEIRD = ["\x00", "\u202e\u0000x", "\U0001f600", "' OR 1=1 --", "a" * 5000, "\ud7ff\n\r\t"]

    @pytest.mark.parametrize("value", WEIRD)
    def test_feedback_token(self, api, value):
        made = send_json(api, {"image": data_uri(png_bytes(canvas_image(ONE)))}).json()
        response = api.post(
            f"/api/predictions/{made['id']}/feedback/", {"label": 1, "token": value}, format="json"
        )
        assert response.status_code in (400, 403)
        assert response.json()["detail"]

    @pytest.mark.parametrize("value", WEIRD)
    @pytest.mark.parametrize("field", ["model_version", "created_after", "digit", "correct"])
    def test_history_filters(self, staff_user, field, value):
        staff = APIClient()
        staff.force_authenticate(staff_user)
        response = staff.get("/api/predictions/", {field: value})
        assert response.status_code in (200, 400), response.content
        assert response["Content-Type"] == "application/json"

    @pytest.mark.parametrize("label", ["7\x00", "\u0667", " 7", "7e0", True])
    def test_feedback_label(self, api, label):
        made = send_json(api, {"image": data_uri(png_bytes(canvas_image(ONE)))}).json()
        response = api.post(
            f"/api/predictions/{made['id']}/feedback/",
            {"label": label, "token": made["feedback_token"]},
            format="json",
        )
        assert response.status_code in (200, 400)
        assert Prediction.objects.get(pk=made["id"]).label in (None, 7)
