"""Bad, odd and hostile input: a clear 4xx with a JSON body and nothing stored, or a
right guess; never a 5xx."""

import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from PIL import Image, PngImagePlugin

from recognizer.models import Prediction
from tests.support.answers import assert_error, assert_nothing_stored
from tests.support.canvases import ONE, SEVEN, canvas_image, data_uri, one_data_uri, png_bytes

pytestmark = pytest.mark.django_db

PREDICT = "/api/predict/"
WHITE = (255, 255, 255, 255)


def refused(response, status: int, code: str | None = None) -> dict:
    """Assert the answer is this JSON error and nothing was stored; return its body."""
    body = assert_error(response, status, code)
    assert_nothing_stored()
    return body


def encoded(image: Image.Image, format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def one_in(format: str) -> bytes:
    return encoded(canvas_image(ONE, background=WHITE).convert("RGB"), format)


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 3]


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


def as_json(value: object) -> Callable[[], dict]:
    return lambda: {"data": value, "format": "json"}


def as_image(make: Callable[[], bytes], mime: str = "image/png") -> Callable[[], dict]:
    return lambda: {"data": {"image": data_uri(make(), mime)}, "format": "json"}


def as_upload(make: Callable[[], bytes], name: str = "digit.png") -> Callable[[], dict]:
    def request() -> dict:
        file = io.BytesIO(make())
        file.name = name
        return {"data": {"image": file}, "format": "multipart"}

    return request


def as_raw(body: str | bytes, content_type: str) -> Callable[[], dict]:
    return lambda: {"data": body, "content_type": content_type}


def case(name: str, request: Callable[[], dict], status: int, code: str | None, words: str = ""):
    return pytest.param(request, status, code, words, id=name)


CASES = [
    # The request itself.
    case("form post", as_raw("image=x", "application/x-www-form-urlencoded"), 415, "unsupported_media_type"),
    case("text/plain", as_raw("image=x", "text/plain"), 415, "unsupported_media_type"),
    case("xml", as_raw("<image/>", "application/xml"), 415, "unsupported_media_type"),
    case("truncated json", as_raw('{"image": ', "application/json"), 400, "parse_error"),
    case("unclosed array", as_raw("[1, 2", "application/json"), 400, "parse_error"),
    case("binary json", as_raw("\x00\x01", "application/json"), 400, "parse_error"),
    case("single quotes", as_raw("{'image': 1}", "application/json"), 400, "parse_error"),
    case("empty body", as_raw(b"", "application/json"), 400, None),
    case("lone surrogate", as_raw('{"image": "\\ud800"}', "application/json"), 400, None),
    case("json list", as_json([]), 400, None),
    case("json string", as_json("a string"), 400, None),
    case("json number", as_json(12), 400, None),
    case("missing image", as_json({}), 400, "required", "image: This field is required."),
    case("image is a number", as_json({"image": 12}), 400, None, "image: "),
    case("image is null", as_json({"image": None}), 400, None, "image: "),
    case("image is a bool", as_json({"image": True}), 400, None, "image: "),
    case("image is a list", as_json({"image": ["data:image/png;base64,AAAA"]}), 400, None, "image: "),
    case("image is an object", as_json({"image": {"a": 1}}), 400, None, "image: "),
    # The data URI.
    case("no data URI", as_json({"image": "iVBORw0KGgoAAAANSUhEUg"}), 400, "invalid_data_uri"),
    case("no base64 marker", as_json({"image": "data:image/png," + "00" * 20}), 400, "invalid_data_uri"),
    case("bad base64", as_json({"image": "data:image/png;base64,iVBOR!!w0K"}), 400, "invalid_data_uri", "base64"),
    case("base64 padding", as_json({"image": "data:image/png;base64,iVBORw0KGgo"}), 400, None),
    case("only padding", as_json({"image": "data:image/png;base64,===="}), 400, None),
    case("unicode in base64", as_json({"image": "data:image/png;base64,iVBO\u00e9RwK"}), 400, None),
    case("controls in base64", as_json({"image": "data:image/png;base64,iV BO\tRw\n0K\x00"}), 400, None),
    case("right-to-left mark", as_json({"image": "\u202edata:image/png;base64,AAAA"}), 400, None),
    case("emoji", as_json({"image": "\U0001f600" * 50}), 400, None),
    case("gif type", as_json({"image": "data:image/gif;base64,R0lGODlhAQABAAAAACw="}), 415, "unsupported_image_type", "image/gif"),
    case("svg type", as_json({"image": "data:image/svg+xml;base64,AAAA"}), 415, "unsupported_image_type"),
    case("html type", as_json({"image": "data:text/html;base64,AAAA"}), 415, "unsupported_image_type"),
    case("binary type", as_json({"image": "data:application/octet-stream;base64,AAAA"}), 415, "unsupported_image_type"),
    # The image.
    case("text, not an image", as_image(lambda: b"plain text, not a picture"), 400, "invalid_image", "not an image"),
    case("pdf uploaded", as_upload(lambda: b"%PDF-1.4 not an image"), 400, "invalid_image"),
    case("truncated png", as_image(lambda: truncated(png_bytes(canvas_image(ONE)))), 400, "invalid_image"),
    case("gif as png", as_image(lambda: one_in("GIF")), 415, "unsupported_image_type", "GIF"),
    case("bmp as png", as_image(lambda: one_in("BMP")), 415, "unsupported_image_type", "BMP"),
    case("tiff as png", as_image(lambda: one_in("TIFF")), 415, "unsupported_image_type", "TIFF"),
    case("gif uploaded", as_upload(lambda: one_in("GIF")), 415, "unsupported_image_type", "GIF"),
    case("bmp uploaded", as_upload(lambda: one_in("BMP")), 415, "unsupported_image_type", "BMP"),
    case("tiff uploaded", as_upload(lambda: one_in("TIFF")), 415, "unsupported_image_type", "TIFF"),
    case("svg uploaded", as_upload(lambda: b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'), 415, "unsupported_image_type", "SVG"),
    case("transparent canvas", as_image(lambda: png_bytes(Image.new("RGBA", (280, 280)))), 400, "empty_drawing", "The drawing is empty"),
    case("white canvas", as_image(lambda: png_bytes(Image.new("RGB", (280, 280), "white"))), 400, "empty_drawing", "The drawing is empty"),
    case("one black pixel", as_image(lambda: encoded(Image.new("L", (1, 1), 0), "PNG")), 400, "drawing_all_ink"),
    case("all ink", as_image(lambda: png_bytes(Image.new("RGB", (280, 280), "black"))), 400, "drawing_all_ink", "all ink"),
    case("a speck", as_image(lambda: png_bytes(canvas_image([[(140, 140), (150, 150)]], pen_width=6))), 400, "drawing_too_small", "draw it larger"),
    case("one white pixel", as_image(lambda: encoded(Image.new("L", (1, 1), 255), "PNG")), 400, "empty_drawing"),
]  # fmt: skip


@pytest.mark.parametrize(("request_kwargs", "status", "code", "words"), CASES)
def test_bad_input_is_refused_with_a_clear_error(api, request_kwargs, status, code, words):
    body = refused(api.post(PREDICT, **request_kwargs()), status, code)
    assert words in body["detail"]


@pytest.mark.parametrize(
    ("setting", "limit", "request_kwargs", "code", "words"),
    [
        ("MAX_REQUEST_BYTES", 10_000, as_json({"image": "data:image/png;base64," + "A" * 20_000}), "too_large", "10000 bytes"),
        ("MAX_IMAGE_BYTES", 1_000, as_json({"image": one_data_uri()}), "image_too_large", "1000 bytes"),
        ("MAX_IMAGE_BYTES", 1_000, as_upload(lambda: png_bytes(canvas_image(ONE))), "image_too_large", "1000 bytes"),
        ("MAX_IMAGE_SIDE", 100, as_json({"image": one_data_uri()}), "image_too_large", "280x280"),
    ],
    ids=["body", "image bytes", "uploaded bytes", "image side"],
)  # fmt: skip
def test_a_limit_exceeded_is_too_large(api, settings, setting, limit, request_kwargs, code, words):
    setattr(settings, setting, limit)
    body = refused(api.post(PREDICT, **request_kwargs()), 413, code)
    assert words in body["detail"]


@pytest.mark.parametrize(
    "data",
    [
        encoded(Image.new("1", (10000, 10000), 1), "PNG"),
        png_header_only(60000, 60000),  # 3.6 gigapixels claimed in 1 kB
    ],
    ids=["10000 pixels wide", "decompression bomb"],
)
def test_a_huge_image_is_refused_from_its_header_without_decoding(api, data):
    with mock.patch.object(Image.Image, "load", side_effect=AssertionError("decoded")):
        body = refused(api.post(PREDICT, {"image": data_uri(data)}, format="json"), 413)
    assert body["code"] == "image_too_large"
    assert f"at most {settings.MAX_IMAGE_SIDE}x{settings.MAX_IMAGE_SIDE}" in body["detail"]


def test_a_20_mb_body_is_refused_without_being_read():
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


class TestOddButValidImages:
    """Unusual encodings of a real digit are guessed like any other."""

    @staticmethod
    def guessed(response, digit: int) -> dict:
        assert response.status_code == 201, response.content
        assert response.json()["digit"] == digit
        return response.json()

    def test_an_animated_image_is_judged_by_its_first_frame(self, api):
        first = canvas_image(ONE, background=WHITE)
        second = canvas_image(SEVEN, background=WHITE)
        data = encoded(first, "PNG", save_all=True, append_images=[second], duration=100)
        assert Image.open(io.BytesIO(data)).n_frames == 2
        self.guessed(api.post(PREDICT, {"image": data_uri(data)}, format="json"), 1)

    def test_a_cmyk_jpeg(self, api):
        image = canvas_image(ONE, background=WHITE).convert("RGB").convert("CMYK")
        data = encoded(image, "JPEG", quality=95)
        assert Image.open(io.BytesIO(data)).mode == "CMYK"
        self.guessed(api.post(PREDICT, {"image": data_uri(data, "image/jpeg")}, format="json"), 1)

    def test_a_16_bit_png(self, api):
        grey = canvas_image(ONE, background=WHITE).convert("L")
        data = encoded(Image.fromarray(np.asarray(grey).astype(np.uint16) * 257), "PNG")
        assert Image.open(io.BytesIO(data)).mode.startswith("I")
        self.guessed(api.post(PREDICT, {"image": data_uri(data)}, format="json"), 1)

    def test_a_palette_png_with_transparency(self, api):
        data = encoded(canvas_image(ONE).convert("P"), "PNG")  # transparent in the palette
        assert "transparency" in Image.open(io.BytesIO(data)).info
        self.guessed(api.post(PREDICT, {"image": data_uri(data)}, format="json"), 1)

    def test_exif_orientation_is_applied(self, api):
        upright = canvas_image(SEVEN, background=WHITE).convert("RGB")
        stored_sideways = upright.transpose(Image.Transpose.ROTATE_90)
        exif = Image.Exif()
        exif[0x0112] = 6  # "rotate 90° clockwise to display"
        with_exif = encoded(stored_sideways, "JPEG", quality=95, exif=exif.tobytes())
        without_exif = encoded(stored_sideways, "JPEG", quality=95)
        sideways = api.post(PREDICT, {"image": data_uri(without_exif, "image/jpeg")}, format="json")
        assert sideways.json()["digit"] != 7
        self.guessed(
            api.post(PREDICT, {"image": data_uri(with_exif, "image/jpeg")}, format="json"), 7
        )

    def test_the_stored_file_is_our_own_png_not_the_uploaded_bytes(self, api):
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", "<script>alert(1)</script>")
        data = encoded(canvas_image(ONE), "PNG", pnginfo=info)
        upload = as_upload(lambda: data, name="../../evil.html")()
        answer = self.guessed(api.post(PREDICT, **upload), 1)
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
        made = api.post(PREDICT, {"image": one_data_uri()}, format="json").json()
        response = api.post(
            f"/api/predictions/{made['id']}/feedback/", {"label": 1, "token": value}, format="json"
        )
        assert response.status_code in (400, 403)
        assert response.json()["detail"]
        assert Prediction.objects.get(pk=made["id"]).label is None

    @pytest.mark.parametrize("value", WEIRD)
    @pytest.mark.parametrize("field", ["model_version", "created_after", "digit", "correct"])
    def test_history_filters(self, staff_api, field, value):
        staff = staff_api
        response = staff.get("/api/predictions/", {field: value})
        assert response.status_code in (200, 400), response.content
        assert response["Content-Type"] == "application/json"

    # A label is the number 0-9 (or its one ASCII digit as a string): no other
    # spelling of seven, not even the Arabic-Indic digit Python's int() reads.
    @pytest.mark.parametrize("label", ["7\x00", "\u0667", " 7", "7e0", "07", 7.0, True])
    def test_feedback_label_other_than_a_plain_digit_is_refused(self, api, label):
        made = api.post(PREDICT, {"image": one_data_uri()}, format="json").json()
        response = api.post(
            f"/api/predictions/{made['id']}/feedback/",
            {"label": label, "token": made["feedback_token"]},
            format="json",
        )
        body = assert_error(response, 400, "invalid")
        assert body["detail"].startswith("label: ")
        assert Prediction.objects.get(pk=made["id"]).label is None

    @pytest.mark.parametrize("label", [7, "7"])
    def test_feedback_label_as_a_number_or_its_digit(self, api, label):
        made = api.post(PREDICT, {"image": one_data_uri()}, format="json").json()
        response = api.post(
            f"/api/predictions/{made['id']}/feedback/",
            {"label": label, "token": made["feedback_token"]},
            format="json",
        )
        assert response.status_code == 200
        assert Prediction.objects.get(pk=made["id"]).label == 7
