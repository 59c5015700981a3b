"""Drawings as a browser canvas would send them, for the tests."""

import base64
import io
import math
from collections.abc import Sequence

from PIL import Image, ImageDraw

Point = tuple[float, float]
SIZE = 280
# Drawn this many times larger, then reduced: anti-aliased edges like a canvas.
SUPERSAMPLE = 4


def canvas_image(
    strokes: Sequence[Sequence[Point]],
    *,
    pen_width: float = 18,
    background: tuple[int, int, int, int] = (0, 0, 0, 0),
    ink: tuple[int, int, int, int] = (0, 0, 0, 255),
) -> Image.Image:
    """Strokes (polylines in 280x280 canvas coordinates) as an RGBA image."""
    big = Image.new("RGBA", (SIZE * SUPERSAMPLE, SIZE * SUPERSAMPLE), background)
    pen = ImageDraw.Draw(big)
    width = round(pen_width * SUPERSAMPLE)
    for stroke in strokes:
        points = [(x * SUPERSAMPLE, y * SUPERSAMPLE) for x, y in stroke]
        if len(points) > 1:
            pen.line(points, fill=ink, width=width, joint="curve")
        for x, y in (points[0], points[-1]):
            pen.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=ink)
    return big.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def png_bytes(image: Image.Image, format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format)
    return buffer.getvalue()


def data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def ellipse_points(cx: float, cy: float, rx: float, ry: float, n: int = 48) -> list[Point]:
    return [
        (cx + rx * math.sin(2 * math.pi * i / n), cy - ry * math.cos(2 * math.pi * i / n))
        for i in range(n + 1)
    ]


ONE = [[(140, 40), (140, 240)]]
ZERO = [ellipse_points(140, 140, 60, 95)]
SEVEN = [[(70, 50), (210, 50), (120, 240)]]
# As people often draw it: the bar, then the stem. The bar alone is not a 7.
SEVEN_IN_TWO_STROKES = [[(70, 50), (210, 50)], [(210, 50), (120, 240)]]


def one_data_uri(**options: object) -> str:
    return data_uri(png_bytes(canvas_image(ONE, **options)))
