import base64
import io

import numpy as np
import pytest
from PIL import Image

from recognizer.ml import decoding
from tests.support.canvases import ONE, canvas_image, data_uri, png_bytes

MAX_BYTES = 1_000_000
MAX_SIDE = 2048


def encoded(image: Image.Image, format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format)
    return buffer.getvalue()


class TestParseDataURI:
    def test_returns_the_decoded_bytes(self):
        payload = png_bytes(canvas_image(ONE))
        assert decoding.parse_data_uri(data_uri(payload), max_bytes=MAX_BYTES) == payload

    def test_accepts_line_breaks_inside_the_base64(self):
        payload = png_bytes(canvas_image(ONE))
        text = base64.encodebytes(payload).decode()  # wrapped at 76 characters
        uri = "data:image/png;base64," + text
        assert decoding.parse_data_uri(uri, max_bytes=MAX_BYTES) == payload

    @pytest.mark.parametrize(
        "text",
        ["hello", "iVBORw0KGgo=", "data:image/png;base64", "http://example.com/a.png"],
    )
    def test_refuses_what_is_not_a_data_uri(self, text):
        with pytest.raises(decoding.InvalidDataURI):
            decoding.parse_data_uri(text, max_bytes=MAX_BYTES)

    def test_refuses_a_data_uri_without_base64(self):
        with pytest.raises(decoding.InvalidDataURI, match="base64"):
            decoding.parse_data_uri("data:image/png,rawbytes", max_bytes=MAX_BYTES)

    @pytest.mark.parametrize("mime", ["image/gif", "text/plain", "image/svg+xml", ""])
    def test_refuses_other_types(self, mime):
        with pytest.raises(decoding.UnsupportedImageType):
            decoding.parse_data_uri(f"data:{mime};base64,AAAA", max_bytes=MAX_BYTES)

    @pytest.mark.parametrize("payload", ["AAA", "A===", "not base64!", "QUJD$"])
    def test_refuses_malformed_base64(self, payload):
        with pytest.raises(decoding.InvalidDataURI, match="malformed"):
            decoding.parse_data_uri(f"data:image/png;base64,{payload}", max_bytes=MAX_BYTES)

    def test_refuses_a_payload_over_the_limit_before_decoding_it(self):
        uri = "data:image/png;base64," + "A" * 4000
        with pytest.raises(decoding.ImageTooLarge):
            decoding.parse_data_uri(uri, max_bytes=1000)


class TestDecodeDrawing:
    def test_transparent_canvas_becomes_ink_on_white_paper(self):
        drawing = decoding.decode_drawing(png_bytes(canvas_image(ONE)), max_side=MAX_SIDE)
        assert drawing.ink.shape == (70, 70)  # 4x4 block means of the 280x280 canvas
        assert drawing.ink.dtype == np.float32
        assert drawing.ink[35, 35] == pytest.approx(1.0)  # on the stroke
        assert drawing.ink[5, 5] == pytest.approx(0.0)  # transparent corner is paper
        assert drawing.image.mode == "L"
        assert drawing.image.size == (280, 280)  # the stored picture keeps every pixel
        assert drawing.image.getpixel((10, 10)) == 255

    @pytest.mark.parametrize("side", [100, 255, 256, 560, 1000])
    def test_large_pictures_give_ink_of_a_bounded_size(self, side):
        image = canvas_image(ONE).resize((side, side))
        drawing = decoding.decode_drawing(png_bytes(image), max_side=2048)
        assert max(drawing.ink.shape) < 2 * decoding.INK_SIDE
        assert max(drawing.ink.shape) >= min(side, decoding.INK_SIDE)
        assert drawing.image.size == (side, side)

    def test_anti_aliased_edges_become_partial_ink(self):
        drawing = decoding.decode_drawing(png_bytes(canvas_image(ONE)), max_side=MAX_SIDE)
        edge = drawing.ink[35, 29:34]
        assert ((edge > 0.05) & (edge < 0.95)).any()

    def test_white_background_gives_the_same_ink(self):
        transparent = decoding.decode_drawing(png_bytes(canvas_image(ONE)), max_side=MAX_SIDE)
        white = decoding.decode_drawing(
            png_bytes(canvas_image(ONE, background=(255, 255, 255, 255))), max_side=MAX_SIDE
        )
        assert np.abs(transparent.ink - white.ink).max() < 0.02

    def test_light_ink_on_dark_background_is_inverted(self):
        image = canvas_image(ONE, background=(0, 0, 0, 255), ink=(255, 255, 255, 255))
        drawing = decoding.decode_drawing(png_bytes(image), max_side=MAX_SIDE)
        assert drawing.ink[35, 35] == pytest.approx(1.0)
        assert drawing.ink[5, 5] == pytest.approx(0.0)

    @pytest.mark.parametrize("format", ["JPEG", "WEBP"])
    def test_jpeg_and_webp_are_accepted(self, format):
        image = canvas_image(ONE, background=(255, 255, 255, 255)).convert("RGB")
        drawing = decoding.decode_drawing(encoded(image, format), max_side=MAX_SIDE)
        assert drawing.ink[35, 35] > 0.8

    @pytest.mark.parametrize(
        "image",
        [
            Image.new("RGBA", (280, 280), (0, 0, 0, 0)),
            Image.new("RGB", (280, 280), (255, 255, 255)),
            Image.new("L", (280, 280), 128),
        ],
        ids=["transparent", "white", "grey"],
    )
    def test_an_image_of_one_colour_is_an_empty_drawing(self, image):
        with pytest.raises(decoding.EmptyDrawing, match="empty"):
            decoding.decode_drawing(encoded(image), max_side=MAX_SIDE)

    @pytest.mark.parametrize(
        "image",
        [Image.new("L", (280, 280), 0), canvas_image([[(5, 5), (275, 275)]], pen_width=560)],
        ids=["black", "scribbled all over"],
    )
    def test_an_image_that_is_all_ink_says_so(self, image):
        with pytest.raises(decoding.AllInkDrawing, match="all ink"):
            decoding.decode_drawing(encoded(image), max_side=MAX_SIDE)

    @pytest.mark.parametrize("side", [8, 30])
    def test_a_speck_is_too_small_to_be_a_digit(self, side):
        speck = canvas_image([[(140, 140), (140 + side, 140 + side)]], pen_width=4)
        with pytest.raises(decoding.DrawingTooSmall, match="draw it larger"):
            decoding.decode_drawing(encoded(speck), max_side=MAX_SIDE)

    def test_a_small_but_real_digit_is_not_a_speck(self):
        # The smallest drawings measured span 44% of the canvas; this one 20%.
        one = canvas_image([[(140, 112), (140, 168)]], pen_width=6)
        assert decoding.decode_drawing(encoded(one), max_side=MAX_SIDE).ink.max() > 0.5

    @pytest.mark.parametrize("format", ["GIF", "BMP", "TIFF"])
    def test_other_image_formats_are_refused_by_their_content(self, format):
        image = canvas_image(ONE, background=(255, 255, 255, 255)).convert("RGB")
        with pytest.raises(decoding.UnsupportedImageType, match=format):
            decoding.decode_drawing(encoded(image, format), max_side=MAX_SIDE)

    def test_svg_is_refused(self):
        svg = b'<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0L9 9"/></svg>'
        with pytest.raises(decoding.UnsupportedImageType, match="SVG"):
            decoding.decode_drawing(svg, max_side=MAX_SIDE)

    def test_bytes_that_are_no_image_are_invalid(self):
        with pytest.raises(decoding.InvalidImage, match="not an image"):
            decoding.decode_drawing(b"\x00\x01 definitely not an image", max_side=MAX_SIDE)

    def test_a_truncated_png_is_invalid(self):
        data = png_bytes(canvas_image(ONE))
        with pytest.raises(decoding.InvalidImage, match="truncated or corrupt"):
            decoding.decode_drawing(data[: len(data) // 2], max_side=MAX_SIDE)

    def test_dimensions_over_the_limit_are_refused_from_the_header(self):
        data = encoded(Image.new("L", (3000, 20), 255))
        with pytest.raises(decoding.ImageTooLarge, match="3000x20"):
            decoding.decode_drawing(data, max_side=MAX_SIDE)


class TestPolarity:
    """Ink is found whichever way round the picture is: the page's canvas, a scan,
    MNIST's light strokes on black, strokes of any colour on transparency."""

    @pytest.mark.parametrize(
        "ink",
        [(0, 0, 0, 255), (255, 255, 255, 255), (250, 240, 80, 255), (30, 60, 220, 255)],
        ids=["black", "white", "yellow", "blue"],
    )
    def test_ink_of_any_colour_on_transparency_is_ink(self, ink):
        drawing = decoding.decode_drawing(png_bytes(canvas_image(ONE, ink=ink)), max_side=MAX_SIDE)
        assert drawing.ink[35, 35] > 0.6  # on the stroke
        assert drawing.ink[5, 5] == pytest.approx(0.0)  # transparent corner is paper

    def test_white_and_black_ink_on_transparency_give_the_same_ink(self):
        black = decoding.decode_drawing(png_bytes(canvas_image(ONE)), max_side=MAX_SIDE)
        white_image = canvas_image(ONE, ink=(255, 255, 255, 255))
        white = decoding.decode_drawing(png_bytes(white_image), max_side=MAX_SIDE)
        assert np.abs(black.ink - white.ink).max() < 0.02

    def test_an_mnist_style_greyscale_picture_is_inverted(self):
        pixels = np.zeros((28, 28), dtype=np.uint8)
        pixels[4:24, 13:15] = 255  # a light "1" on black
        drawing = decoding.decode_drawing(encoded(Image.fromarray(pixels, "L")), max_side=MAX_SIDE)
        assert drawing.ink[14, 13] == pytest.approx(1.0)
        assert drawing.ink[0, 0] == pytest.approx(0.0)

    @pytest.mark.parametrize("dark_ink", [True, False], ids=["dark ink", "light ink"])
    def test_a_pixel_array_is_judged_like_an_upload(self, dark_ink):
        pixels = np.zeros((28, 28), dtype=np.uint8)
        pixels[4:24, 13:15] = 255
        if dark_ink:
            pixels = 255 - pixels
        drawing = decoding.grey_drawing(Image.fromarray(pixels, "L"))
        assert drawing.ink[14, 13] == pytest.approx(1.0)
        assert drawing.ink[0, 0] == pytest.approx(0.0)

    @pytest.mark.parametrize("shade", [128, 255])
    def test_a_pixel_array_of_one_shade_is_an_empty_drawing(self, shade):
        with pytest.raises(decoding.EmptyDrawing):
            decoding.grey_drawing(Image.new("L", (28, 28), shade))

    def test_a_black_pixel_array_is_all_ink(self):
        with pytest.raises(decoding.AllInkDrawing):
            decoding.grey_drawing(Image.new("L", (28, 28), 0))
