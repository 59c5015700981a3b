"""Synthetic drawings that are not digits: scribbles, crosses, waves, letters, shapes, walks.

What the drawing page gets from someone testing it or doodling, rendered like
a browser canvas at its size with a round pen of several widths. They serve
two purposes, with different seeds so that one never leaks into the other:
negatives for the refusal step's training (TRAINING_SEED) and an evaluation
set it never saw (EVALUATION_SEED).

Nothing here may look like a digit: no plain circle (a 0), no single bar (a
1), no S (a 5), no Z (a 2), no g or q (a 9).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw

CANVAS = 280
SUPERSAMPLE = 2  # drawn twice as large and box-reduced: anti-aliased like a canvas
PEN_WIDTHS = (11.0, 18.0, 26.0)  # the drawing page's three pens, in canvas pixels
TRAINING_SEED = 1
EVALUATION_SEED = 2

Stroke = np.ndarray  # (n, 2) points in a unit box, x right, y down
Shape = Callable[[np.random.Generator], list[Stroke]]


def _line(*points: tuple[float, float]) -> Stroke:
    return np.asarray(points, dtype=np.float64)


def _scribble(rng: np.random.Generator) -> list[Stroke]:
    """A dense back-and-forth zigzag filling much of the box."""
    n = int(rng.integers(8, 25))
    x = np.where(np.arange(n) % 2 == 0, rng.uniform(0, 0.25, n), rng.uniform(0.75, 1, n))
    y = np.linspace(0, 1, n) + rng.normal(0, 0.04, n)
    return [np.column_stack([x, y])]


def _tangle(rng: np.random.Generator) -> list[Stroke]:
    """Loops upon loops: a ball of wool."""
    t = np.linspace(0, 2 * np.pi * rng.uniform(4, 9), 300)
    r = 0.35 + 0.12 * np.sin(t * rng.uniform(0.2, 0.6))
    drift = rng.uniform(-0.02, 0.02, 2)
    x = 0.5 + r * np.cos(t) + drift[0] * t
    y = 0.5 + r * np.sin(t * rng.uniform(0.9, 1.3)) + drift[1] * t
    return [np.column_stack([x, y])]


def _cross(rng: np.random.Generator) -> list[Stroke]:
    """An X, or a plus sign leaning a little."""
    if rng.random() < 0.7:
        return [_line((0, 0), (1, 1)), _line((1, 0), (0, 1))]
    return [_line((0.5, 0), (0.5, 1)), _line((0, 0.5), (1, 0.5))]


def _wave(rng: np.random.Generator) -> list[Stroke]:
    """A horizontal wave of a few periods, or a zigzag line."""
    x = np.linspace(0, 1, 120)
    periods = rng.uniform(1.5, 4)
    y = 0.5 + rng.uniform(0.15, 0.4) * np.sin(2 * np.pi * periods * x)
    if rng.random() < 0.3:
        y = 0.5 + rng.uniform(0.15, 0.4) * (2 * np.abs((x * periods * 2) % 2 - 1) - 1)
    return [np.column_stack([x, y])]


def _star(rng: np.random.Generator) -> list[Stroke]:
    """A five-pointed star in one stroke, or a starburst of crossing lines."""
    if rng.random() < 0.5:
        angles = np.deg2rad(90 + 144 * np.arange(6))
        return [np.column_stack([0.5 + 0.5 * np.cos(angles), 0.5 - 0.5 * np.sin(angles)])]
    spokes = int(rng.integers(3, 6))
    strokes = []
    for angle in np.linspace(0, np.pi, spokes, endpoint=False) + rng.uniform(0, 0.5):
        dx, dy = 0.5 * np.cos(angle), 0.5 * np.sin(angle)
        strokes.append(_line((0.5 - dx, 0.5 - dy), (0.5 + dx, 0.5 + dy)))
    return strokes


def _shape(rng: np.random.Generator) -> list[Stroke]:
    """A square, triangle, heart, or a closed shape with a line through it."""
    kind = rng.integers(4)
    if kind == 0:
        return [_line((0, 0), (1, 0), (1, 1), (0, 1), (0, 0))]
    if kind == 1:
        return [_line((0.5, 0), (1, 1), (0, 1), (0.5, 0))]
    if kind == 2:
        t = np.linspace(0, 2 * np.pi, 120)
        x = 16 * np.sin(t) ** 3
        y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
        return [np.column_stack([x, y])]
    t = np.linspace(0, 2 * np.pi, 80)
    return [np.column_stack([0.5 + 0.5 * np.cos(t), 0.5 + 0.5 * np.sin(t)]), _line((0, 0), (1, 1))]


LETTERS: dict[str, list[Stroke]] = {
    "A": [_line((0, 1), (0.5, 0), (1, 1)), _line((0.25, 0.55), (0.75, 0.55))],
    "H": [_line((0, 0), (0, 1)), _line((1, 0), (1, 1)), _line((0, 0.5), (1, 0.5))],
    "K": [_line((0, 0), (0, 1)), _line((0.9, 0), (0, 0.55), (1, 1))],
    "M": [_line((0, 1), (0, 0), (0.5, 0.6), (1, 0), (1, 1))],
    "N": [_line((0, 1), (0, 0), (1, 1), (1, 0))],
    "W": [_line((0, 0), (0.25, 1), (0.5, 0.35), (0.75, 1), (1, 0))],
    "E": [_line((1, 0), (0, 0), (0, 1), (1, 1)), _line((0, 0.5), (0.7, 0.5))],
    "F": [_line((1, 0), (0, 0), (0, 1)), _line((0, 0.5), (0.7, 0.5))],
    "T": [_line((0, 0), (1, 0)), _line((0.5, 0), (0.5, 1))],
    "Y": [_line((0, 0), (0.5, 0.5), (1, 0)), _line((0.5, 0.5), (0.5, 1))],
    "V": [_line((0, 0), (0.5, 1), (1, 0))],
    "R": [
        _line((0, 1), (0, 0), (0.6, 0), (0.9, 0.12), (0.9, 0.38), (0.6, 0.5), (0, 0.5)),
        _line((0.4, 0.5), (1, 1)),
    ],
    "#": [
        _line((0.3, 0), (0.25, 1)),
        _line((0.75, 0), (0.7, 1)),
        _line((0, 0.33), (1, 0.33)),
        _line((0, 0.67), (1, 0.67)),
    ],
}


def _letter(rng: np.random.Generator) -> list[Stroke]:
    """A capital letter drawn in straight strokes (none that a digit is drawn like)."""
    names = sorted(LETTERS)
    return [stroke.copy() for stroke in LETTERS[names[rng.integers(len(names))]]]


def _random_walk(rng: np.random.Generator) -> list[Stroke]:
    """A meandering path of smoothly turning steps."""
    n = int(rng.integers(80, 300))
    heading = np.cumsum(rng.normal(0, rng.uniform(0.2, 0.6), n))
    steps = np.column_stack([np.cos(heading), np.sin(heading)])
    return [np.cumsum(steps, axis=0)]


KINDS: dict[str, Shape] = {
    "scribble": _scribble,
    "tangle": _tangle,
    "cross": _cross,
    "wave": _wave,
    "star": _star,
    "shape": _shape,
    "letter": _letter,
    "random walk": _random_walk,
}


def _hand(strokes: list[Stroke], rng: np.random.Generator) -> list[Stroke]:
    """Return the strokes wobbled, rotated, sheared and stretched as a hand would."""
    points = np.concatenate(strokes)
    lo, span = points.min(axis=0), np.maximum(np.ptp(points, axis=0), 1e-6)
    theta = np.deg2rad(rng.uniform(-20, 20))
    rotate = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    stretch = np.diag(rng.uniform(0.6, 1.4, 2))
    shear = np.array([[1, rng.uniform(-0.3, 0.3)], [0, 1]])
    out = []
    for stroke in strokes:
        unit = (stroke - lo) / span.max()
        unit = unit + rng.normal(0, 0.01, unit.shape).cumsum(axis=0) * 0.3
        out.append(unit @ (rotate @ stretch @ shear).T)
    return out


def render(strokes: list[Stroke], rng: np.random.Generator, pen: float) -> np.ndarray:
    """Return the strokes' anti-aliased coverage (0..1) on a CANVAS x CANVAS canvas,
    drawn with a round pen ``pen`` pixels wide, at a random size and place."""
    points = np.concatenate(strokes)
    lo, span = points.min(axis=0), np.maximum(np.ptp(points, axis=0), 1e-6)
    scale = rng.uniform(110, 240) / span.max()
    room = np.maximum(CANVAS - span * scale - pen, 0)
    offset = room * np.clip(rng.normal(0.5, 0.15, 2), 0, 1) + pen / 2
    big = Image.new("L", (CANVAS * SUPERSAMPLE,) * 2, 0)
    draw = ImageDraw.Draw(big)
    width = pen * SUPERSAMPLE
    for stroke in strokes:
        xy = [tuple(p) for p in ((stroke - lo) * scale + offset) * SUPERSAMPLE]
        draw.line(xy, fill=255, width=max(round(width), 1), joint="curve")
        for cx, cy in (xy[0], xy[-1]):  # round caps, as the page's lineCap
            draw.ellipse((cx - width / 2, cy - width / 2, cx + width / 2, cy + width / 2), 255)
    return np.asarray(big.reduce(SUPERSAMPLE), dtype=np.float32) / 255.0


def non_digit(kind: str, rng: np.random.Generator, pen: float | None = None) -> np.ndarray:
    """Return one drawing of ``kind`` (a KINDS key) as canvas coverage (0..1)."""
    strokes = _hand(KINDS[kind](rng), rng)
    return render(strokes, rng, pen if pen is not None else PEN_WIDTHS[rng.integers(3)])


def non_digits(n_per_kind: int, seed: int) -> tuple[list[np.ndarray], list[str]]:
    """Return ``n_per_kind`` drawings of every kind, pen widths in turn, and their kinds.

    Drawing ``i`` of a kind depends only on (seed, kind, i).
    """
    images, kinds = [], []
    for k, kind in enumerate(KINDS):
        for i in range(n_per_kind):
            rng = np.random.default_rng([seed, k, i])
            images.append(non_digit(kind, rng, PEN_WIDTHS[i % len(PEN_WIDTHS)]))
            kinds.append(kind)
    return images, kinds
