"""Canvas-like drawings of digits, for demo data and benchmarks.

Each digit is a few polylines in a unit box, drawn with a random pen width,
size, position, slant and rotation, with a little jitter on every point, as
an RGBA 280x280 picture: black anti-aliased ink on a transparent background,
what the drawing page's canvas sends. Not training data: they are all alike
in style, but varied enough that no two drawings give the same file.
"""

import math
import random
from collections.abc import Sequence

from PIL import Image, ImageDraw

SIZE = 280
SUPERSAMPLE = 2

Stroke = Sequence[tuple[float, float]]


def _ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 24) -> list[tuple[float, float]]:
    return [
        (cx + rx * math.sin(2 * math.pi * i / n), cy - ry * math.cos(2 * math.pi * i / n))
        for i in range(n + 1)
    ]


# x to the right, y down, in a unit box.
DIGIT_STROKES: dict[int, list[Stroke]] = {
    0: [_ellipse(0.5, 0.5, 0.3, 0.42)],
    1: [[(0.35, 0.25), (0.55, 0.08), (0.55, 0.92)]],
    2: [
        [
            (0.22, 0.3),
            (0.35, 0.12),
            (0.58, 0.08),
            (0.75, 0.22),
            (0.72, 0.4),
            (0.22, 0.9),
            (0.8, 0.9),
        ]
    ],
    3: [
        [
            (0.25, 0.15),
            (0.6, 0.08),
            (0.74, 0.25),
            (0.48, 0.48),
            (0.76, 0.64),
            (0.66, 0.88),
            (0.24, 0.86),
        ]
    ],
    4: [[(0.66, 0.92), (0.66, 0.08), (0.18, 0.66), (0.84, 0.66)]],
    5: [
        [
            (0.76, 0.1),
            (0.3, 0.1),
            (0.27, 0.46),
            (0.62, 0.42),
            (0.77, 0.62),
            (0.64, 0.88),
            (0.24, 0.86),
        ]
    ],
    6: [
        [
            (0.7, 0.1),
            (0.4, 0.3),
            (0.27, 0.66),
            (0.45, 0.92),
            (0.7, 0.82),
            (0.71, 0.6),
            (0.45, 0.52),
            (0.3, 0.64),
        ]
    ],
    7: [[(0.18, 0.12), (0.82, 0.12), (0.4, 0.92)]],
    8: [_ellipse(0.5, 0.29, 0.2, 0.21), _ellipse(0.5, 0.71, 0.25, 0.21)],
    9: [_ellipse(0.48, 0.32, 0.22, 0.22), [(0.7, 0.32), (0.66, 0.92)]],
}


def random_strokes(digit: int, rng: random.Random) -> tuple[list[list[tuple[float, float]]], float]:
    """The digit's strokes placed on a 280x280 canvas, and a pen width."""
    scale = rng.uniform(0.5, 0.85) * SIZE
    aspect = rng.uniform(0.8, 1.15)
    slant = rng.uniform(-0.25, 0.2)
    angle = math.radians(rng.uniform(-12, 12))
    cx = SIZE / 2 + rng.uniform(-0.15, 0.15) * (SIZE - scale)
    cy = SIZE / 2 + rng.uniform(-0.15, 0.15) * (SIZE - scale)
    cos, sin = math.cos(angle), math.sin(angle)
    placed = []
    for stroke in DIGIT_STROKES[digit]:
        points = []
        for x, y in stroke:
            x, y = x - 0.5 + rng.gauss(0, 0.012), y - 0.5 + rng.gauss(0, 0.012)
            x = (x - slant * y) * aspect
            x, y = x * cos - y * sin, x * sin + y * cos
            points.append((cx + x * scale, cy + y * scale))
        placed.append(points)
    return placed, rng.uniform(10, 24)


def render(strokes: Sequence[Stroke], pen_width: float) -> Image.Image:
    """Strokes in canvas coordinates as an RGBA canvas picture."""
    big = Image.new("RGBA", (SIZE * SUPERSAMPLE, SIZE * SUPERSAMPLE), (0, 0, 0, 0))
    pen = ImageDraw.Draw(big)
    width = round(pen_width * SUPERSAMPLE)
    ink = (0, 0, 0, 255)
    for stroke in strokes:
        points = [(x * SUPERSAMPLE, y * SUPERSAMPLE) for x, y in stroke]
        pen.line(points, fill=ink, width=width, joint="curve")
        for x, y in (points[0], points[-1]):
            pen.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=ink)
    return big.resize((SIZE, SIZE), Image.Resampling.BOX)


def random_drawing(digit: int, rng: random.Random) -> Image.Image:
    return render(*random_strokes(digit, rng))
