"""From what a client sends (a data URI or file bytes) to an ink array.

The model works on "ink": a 2-D float32 array in [0, 1] where 1 is full
ink and 0 is paper. A browser canvas exports a transparent background with
semi-transparent anti-aliased edges, so colour images are composited onto
white (black under light ink) before they are turned to grey: a transparent
pixel is paper. Which shade is paper is told by the picture's border.

Every check that can be made from the header (format, dimensions) is made
before the pixels are decoded, so a decompression bomb costs nothing.
"""

import base64
import binascii
import io
import re
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from recognizer.ml.inkbox import extent, ink_box

ALLOWED_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
ALLOWED_MIME_TYPES = frozenset(ALLOWED_FORMATS.values()) | {"image/jpg"}

# Below this much contrast an image is "all one colour"; below this many ink
# pixels (after thresholding at half ink) there is nothing drawn.
MIN_CONTRAST = 0.2
INK_LEVEL = 0.5
# A drawing whose ink spans less than this share of the picture's shorter
# side is a speck, not a digit: real drawings measured span 44% and more.
MIN_EXTENT = 0.15
# A picture this dark all over has no paper around a digit: it is all ink
# (a light digit on a dark background leaves far more light pixels).
ALL_INK_SHARE = 0.97
# The ink is kept under twice this many pixels a side (whole-number block
# means of the picture): the features work at 32 to 64 pixels a digit, so a
# larger canvas only makes every later step dearer.
INK_SIDE = 64

_DATA_URI = re.compile(
    r"^data:(?P<mime>[^;,]*)(?P<params>(?:;[^;,]*)*),(?P<payload>.*)$",
    re.DOTALL,
)
_WHITESPACE = re.compile(r"\s+")


class DecodingError(ValueError):
    """The input is not a usable drawing; `code` names the reason."""

    code = "invalid_image"


class InvalidDataURI(DecodingError):
    code = "invalid_data_uri"


class UnsupportedImageType(DecodingError):
    code = "unsupported_image_type"


class ImageTooLarge(DecodingError):
    code = "image_too_large"


class InvalidImage(DecodingError):
    code = "invalid_image"


class EmptyDrawing(DecodingError):
    code = "empty_drawing"


class DrawingTooSmall(DecodingError):
    code = "drawing_too_small"


class AllInkDrawing(DecodingError):
    code = "drawing_all_ink"


@dataclass(frozen=True)
class Drawing:
    """A decoded drawing: the greyscale picture (to store) and its ink, reduced to
    at most about ``INK_SIDE`` x 2 pixels a side by whole-number block means."""

    image: Image.Image
    ink: np.ndarray


def parse_data_uri(text: str, *, max_bytes: int) -> bytes:
    """Return the bytes inside a base64 `data:image/...` URI."""
    match = _DATA_URI.match(text.strip())
    if match is None:
        raise InvalidDataURI("The image must be a data URI such as 'data:image/png;base64,...'.")
    mime = match["mime"].strip().lower()
    params = [p.strip().lower() for p in match["params"].split(";") if p.strip()]
    if mime not in ALLOWED_MIME_TYPES:
        shown = mime or "none"
        raise UnsupportedImageType(
            f"The data URI's type is {shown!r}; send image/png, image/jpeg or image/webp."
        )
    if "base64" not in params:
        raise InvalidDataURI("The data URI must be base64-encoded (';base64,').")
    payload = _WHITESPACE.sub("", match["payload"])
    if len(payload) * 3 // 4 > max_bytes:
        raise ImageTooLarge(f"The image is larger than {max_bytes} bytes.")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidDataURI("The data URI's base64 payload is malformed.") from None
    if not data:
        raise InvalidDataURI("The data URI holds no data.")
    return data


def open_image(data: bytes, *, max_side: int) -> Image.Image:
    """Open image bytes after checking format and size from the header alone."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(ALLOWED_FORMATS))
    except Image.UnidentifiedImageError:
        raise _unidentified(data) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageTooLarge(
            f"The image has too many pixels; at most {max_side}x{max_side} is accepted."
        ) from None
    except (OSError, SyntaxError, ValueError):
        raise InvalidImage("The image could not be read.") from None
    width, height = image.size
    if width > max_side or height > max_side:
        raise ImageTooLarge(
            f"The image is {width}x{height} pixels; at most {max_side}x{max_side} is accepted."
        )
    if width < 1 or height < 1:
        raise InvalidImage("The image has no pixels.")
    try:
        # First frame only: an animation is judged by what it shows first.
        image.seek(0)
        image.load()
        image = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, EOFError):
        raise InvalidImage("The image data is truncated or corrupt.") from None
    return image


def _unidentified(data: bytes) -> DecodingError:
    """Why bytes that are not PNG, JPEG or WebP were refused: type or garbage."""
    if data.lstrip()[:1] == b"<":
        return UnsupportedImageType("SVG and other markup is not accepted; send PNG, JPEG or WebP.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            other_format = Image.open(io.BytesIO(data)).format
    except Exception:  # any failure to identify means it is no image at all
        return InvalidImage("The data is not an image.")
    return UnsupportedImageType(f"{other_format} images are not accepted; send PNG, JPEG or WebP.")


def to_grey(image: Image.Image) -> Image.Image:
    """Greyscale picture with every transparent part turned to white paper."""
    if image.mode in {"I", "I;16", "I;16B", "I;16L", "I;16N", "F"}:
        values = np.asarray(image, dtype=np.float32)
        scale = 65535.0 if values.max(initial=0) > 255 else 255.0
        return Image.fromarray(np.clip(values / scale * 255.0, 0, 255).astype(np.uint8), "L")
    if image.mode == "L":
        return image
    if image.mode == "1":
        return image.convert("L")
    if image.mode == "P" and "transparency" not in image.info:
        return image.convert("L")
    # (convert() would copy an image that is RGBA already, as canvas drawings are.)
    rgba = image if image.mode == "RGBA" else image.convert("RGBA")
    # Compositing the grey picture through its alpha onto paper is the same
    # as compositing in colour, then turning grey: measured 40% cheaper.
    grey, alpha = rgba.convert("L"), rgba.getchannel("A")
    paper = Image.new("L", rgba.size, _paper_shade(grey, alpha))
    paper.paste(grey, mask=alpha)
    return paper


def _paper_shade(grey: Image.Image, alpha: Image.Image) -> int:
    """Return the shade of paper that the visible pixels stand out from: white,
    or black when they are mostly light (white ink on transparency would
    otherwise vanish; `ink_of` then inverts the picture like any light-on-dark one)."""
    if grey.getbbox() is None:  # black everywhere, as a canvas drawing is: cheap to tell
        return 255
    counts = grey.histogram(mask=alpha)  # pixels that are not fully transparent
    visible = sum(counts)
    mean = sum(shade * count for shade, count in enumerate(counts)) / max(visible, 1)
    return 0 if visible and mean > 127.5 else 255


def ink_of(grey: Image.Image) -> np.ndarray:
    """Return the ink array of a greyscale picture, dark strokes on light paper."""
    return oriented(1.0 - np.asarray(grey, dtype=np.float32) / 255.0)


def oriented(ink: np.ndarray) -> np.ndarray:
    """Return the ink array with the strokes as ink, whatever the picture's polarity.

    A picture whose border is mostly dark is taken as light ink on a dark
    background (a photo of a blackboard, an MNIST-style image) and inverted.
    """
    border = np.concatenate([ink[0, :], ink[-1, :], ink[:, 0], ink[:, -1]])
    if 2 * np.count_nonzero(border > 0.5) > border.size:
        return 1.0 - ink
    return ink


def grey_drawing(grey: Image.Image) -> Drawing:
    """Return the drawing in a greyscale picture of either polarity.

    Refused: a picture that is all ink, an empty one, and a speck (a mark too
    small to be a digit, which blown up to full size would be guessed as
    one). Pictures that arrive as pixel arrays (a data set's rows) come in
    here as ``Image.fromarray(array, "L")``, so they are judged exactly as
    uploads are.
    """
    step = max(grey.size) // INK_SIDE
    # Reduced early, in 8 bits (Pillow's block means): the cheapest place.
    darkness = 1.0 - np.asarray(grey.reduce(step) if step > 1 else grey, np.float32) / 255.0
    if np.count_nonzero(darkness >= INK_LEVEL) >= ALL_INK_SHARE * darkness.size:
        raise AllInkDrawing(
            "The image is all ink: there is no paper around a digit. Draw a digit on a "
            "light background (or a light digit on a dark one)."
        )
    ink = oriented(darkness)
    # (8-bit shades are never exactly half ink: "above" is "at least".)
    box = ink_box(ink, INK_LEVEL)
    if float(ink.max() - ink.min()) < MIN_CONTRAST or box is None:
        raise EmptyDrawing("The drawing is empty: draw a digit first.")
    if max(extent(box)) < MIN_EXTENT * min(ink.shape):
        raise DrawingTooSmall(
            "The drawing is too small to be a digit: draw it larger, filling most of the square."
        )
    return Drawing(image=grey, ink=ink)


def decode_drawing(data: bytes, *, max_side: int) -> Drawing:
    """Decode image bytes into a drawing, refusing empty or unreadable ones."""
    return grey_drawing(to_grey(open_image(data, max_side=max_side)))
