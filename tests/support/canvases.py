"""Drawings as a browser canvas would send them, for the tests."""

import base64
import io
import math
import random
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from recognizer.ml.decoding import decode_drawing

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


Strokes = Sequence[Sequence[Point]]

TWO = [[(80, 90), (110, 55), (160, 50), (195, 80), (190, 125), (80, 230), (210, 230)]]
THREE = [[(80, 60), (150, 45), (200, 80), (150, 135), (200, 180), (160, 232), (80, 220)]]
FOUR = [[(165, 40), (60, 170), (220, 170)], [(170, 100), (170, 240)]]


def mirrored(strokes: Strokes) -> list[list[Point]]:
    """Drawn right to left: an unusual style the training set never shows."""
    return [[(280 - x, y) for x, y in stroke] for stroke in strokes]


def jittered(strokes: Strokes, rng: random.Random) -> list[list[Point]]:
    """The same shape as a person would draw it again: moved, resized, wobbly."""
    scale = rng.uniform(0.8, 1.05)
    dx, dy = rng.uniform(-20, 20), rng.uniform(-15, 15)
    return [
        [
            (
                140 + (x - 140) * scale + dx + rng.uniform(-8, 8),
                140 + (y - 140) * scale + dy + rng.uniform(-8, 8),
            )
            for x, y in stroke
        ]
        for stroke in strokes
    ]


def drawing_data_uri(strokes: Strokes, **options: object) -> str:
    return data_uri(png_bytes(canvas_image(strokes, **options)))


def ink_shape(
    shape: str,
    size: int = SIZE,
    offset: tuple[float, float] = (0, 0),
    scale: float = 1.0,
    pen: float = 16,
) -> np.ndarray:
    """A decoded drawing (ink 0..1) of a "bar" (one vertical stroke) or a "loop"."""
    image = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(image)
    cx, cy = size / 2 + offset[0], size / 2 + offset[1]
    half_height = 90 * scale
    width = max(int(pen * scale), 1)
    if shape == "bar":
        draw.line([(cx, cy - half_height), (cx, cy + half_height)], fill=255, width=width)
    elif shape == "loop":
        box = [cx - 0.6 * half_height, cy - half_height, cx + 0.6 * half_height, cy + half_height]
        draw.ellipse(box, outline=255, width=width)
    else:
        raise ValueError(shape)
    return np.asarray(image, dtype=np.float32) / 255.0


def decode_png(data: bytes) -> np.ndarray:
    """PNG bytes to ink, exactly as the API decodes a drawing."""
    return decode_drawing(data, max_side=2048).ink


# The rest of the ten digits, plainly drawn, and what the first new users drew
# that is no digit at all: an X, a dense scribble and a star-like squiggle.
FIVE = [[(190, 50), (95, 50), (85, 130), (150, 120), (195, 160), (185, 215), (130, 235), (80, 215)]]
SIX = [
    [
        (180, 50),
        (120, 80),
        (85, 150),
        (90, 210),
        (140, 235),
        (185, 200),
        (175, 150),
        (125, 140),
        (90, 170),
    ]
]
EIGHT = [ellipse_points(140, 90, 45, 42), ellipse_points(140, 182, 55, 52)]
NINE = [ellipse_points(140, 95, 52, 48), [(192, 95), (180, 240)]]
PLAIN_DIGITS = {0: ZERO, 1: ONE, 2: TWO, 3: THREE, 4: FOUR, 5: FIVE, 6: SIX, 7: SEVEN}
PLAIN_DIGITS |= {8: EIGHT, 9: NINE}
X_MARK = [[(60, 60), (220, 220)], [(220, 60), (60, 220)]]
SCRIBBLE = [[(50 + 180 * (i % 2), 50 + 13 * i) for i in range(15)]]
STAR_SQUIGGLE = [
    [
        (
            140 + 100 * math.cos(math.radians(90 + 144 * k)),
            140 - 100 * math.sin(math.radians(90 + 144 * k)),
        )
        for k in range(6)
    ]
]
NON_DIGITS = {"an X": X_MARK, "a dense scribble": SCRIBBLE, "a star-like squiggle": STAR_SQUIGGLE}
