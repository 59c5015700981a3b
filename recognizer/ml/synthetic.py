"""Synthetic pen-drawn digits, rendered like a browser canvas export.

Used to evaluate models (never trained on) and as demo and benchmark drawings.

Each class has a few writing styles, each a list of pen strokes in a unit box
(x to the right, y downwards, height 1). A sample picks a style, bends it with a
smooth random displacement, slants, rotates and stretches it, and draws it with a
round pen of random width at a random size and place on a 280x280 canvas.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw

from recognizer.ml.canvas import BACKGROUNDS, CANVAS, canvas_picture, canvas_png

SUPERSAMPLE = 4  # drawn 4x larger and box-reduced: the canvas' anti-aliasing
INKS = ((0, 0, 0), (17, 17, 17), (34, 34, 34), (20, 30, 90))  # dark pen colours

Stroke = np.ndarray  # (n, 2) points, x then y
Style = Callable[[], list[Stroke]]


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float) -> Stroke:
    """Elliptic arc; angles in degrees, 0 = right, 90 = top (counter-clockwise on screen)."""
    t = np.deg2rad(np.linspace(start, end, max(int(abs(end - start) / 6), 4)))
    return np.column_stack([cx + rx * np.cos(t), cy - ry * np.sin(t)])


def _poly(*points: tuple[float, float]) -> Stroke:
    return np.asarray(points, dtype=np.float64)


def _bezier(*points: tuple[float, float], n: int = 24) -> Stroke:
    """Cubic Bezier curve through its end points with two control points."""
    p = np.asarray(points, dtype=np.float64)
    t = np.linspace(0.0, 1.0, n)[:, None]
    return (
        (1 - t) ** 3 * p[0] + 3 * (1 - t) ** 2 * t * p[1] + 3 * (1 - t) * t**2 * p[2] + t**3 * p[3]
    )


def _join(*parts: Stroke) -> Stroke:
    return np.concatenate(parts)


def _eight_single() -> list[Stroke]:
    # One stroke: from the top right, down through the waist, round the bottom
    # and back up through the waist into the top loop (a vertical lemniscate).
    t = np.linspace(-0.35, 2 * np.pi + 0.15, 90)
    y = 0.5 - 0.5 * np.cos(t)
    x = 0.3 - 0.58 * np.sin(t) * np.cos(t) * np.where(y < 0.5, 0.85, 1.0)
    return [np.column_stack([x, y])]


STYLES: dict[int, list[Style]] = {
    0: [
        lambda: [_arc(0.3, 0.5, 0.3, 0.5, 95, 95 + 370)],
        lambda: [_arc(0.3, 0.5, 0.26, 0.5, 60, 60 + 345)],
        lambda: [_arc(0.3, 0.5, 0.3, 0.5, 100, 100 - 365)],  # clockwise writers
    ],
    1: [
        lambda: [_poly((0.3, 0.0), (0.3, 1.0))],
        lambda: [_poly((0.1, 0.25), (0.32, 0.0), (0.32, 1.0))],
        lambda: [_poly((0.1, 0.22), (0.32, 0.0), (0.32, 1.0)), _poly((0.08, 1.0), (0.56, 1.0))],
    ],
    2: [
        lambda: [_join(_arc(0.3, 0.27, 0.28, 0.27, 160, -35), _poly((0.02, 1.0), (0.62, 1.0)))],
        lambda: [
            _join(
                _arc(0.3, 0.27, 0.28, 0.27, 150, -30),
                _bezier((0.5, 0.45), (0.3, 0.7), (-0.05, 0.95), (0.12, 0.93)),
                _bezier((0.12, 0.93), (0.3, 0.9), (0.4, 1.02), (0.62, 0.97)),
            )
        ],
        lambda: [
            _poly((0.04, 0.12), (0.3, 0.0), (0.56, 0.12), (0.52, 0.34), (0.0, 1.0), (0.6, 1.0))
        ],
    ],
    3: [
        lambda: [
            _join(_arc(0.3, 0.25, 0.26, 0.25, 150, -105), _arc(0.3, 0.73, 0.3, 0.27, 100, -150))
        ],
        lambda: [
            _join(_poly((0.04, 0.0), (0.56, 0.0), (0.24, 0.4)), _arc(0.3, 0.7, 0.3, 0.3, 110, -150))
        ],
    ],
    4: [
        lambda: [_poly((0.06, 0.0), (0.0, 0.62), (0.62, 0.62)), _poly((0.44, 0.08), (0.44, 1.0))],
        lambda: [_poly((0.44, 0.0), (0.0, 0.66), (0.62, 0.66)), _poly((0.44, 0.0), (0.44, 1.0))],
        lambda: [_poly((0.36, 0.0), (0.02, 0.62), (0.62, 0.62)), _poly((0.46, 0.25), (0.44, 1.0))],
    ],
    5: [
        lambda: [
            _join(_poly((0.08, 0.0), (0.05, 0.45)), _arc(0.28, 0.69, 0.3, 0.3, 145, -155)),
            _poly((0.08, 0.0), (0.56, 0.0)),
        ],
        lambda: [
            _join(
                _poly((0.56, 0.0), (0.08, 0.0), (0.05, 0.44)), _arc(0.28, 0.69, 0.3, 0.3, 140, -155)
            )
        ],
    ],
    6: [
        lambda: [
            _join(
                _bezier((0.52, 0.0), (0.15, 0.08), (0.0, 0.45), (0.03, 0.72)),
                _arc(0.3, 0.72, 0.28, 0.28, 180, 530),
            )
        ],
        lambda: [_join(_poly((0.45, 0.0), (0.04, 0.68)), _arc(0.3, 0.72, 0.27, 0.28, 190, 520))],
    ],
    7: [
        lambda: [_poly((0.0, 0.0), (0.6, 0.0), (0.2, 1.0))],
        lambda: [_poly((0.0, 0.0), (0.6, 0.0), (0.22, 1.0)), _poly((0.14, 0.5), (0.56, 0.5))],
        lambda: [_poly((0.0, 0.14), (0.02, 0.0), (0.6, 0.0), (0.28, 1.0))],
    ],
    8: [
        _eight_single,
        lambda: [
            _arc(0.3, 0.23, 0.22, 0.23, 270, 270 + 360),
            _arc(0.3, 0.73, 0.28, 0.27, 90, 90 - 360),
        ],
    ],
    9: [
        lambda: [_join(_arc(0.3, 0.27, 0.28, 0.27, 10, 365), _poly((0.58, 0.27), (0.56, 1.0)))],
        lambda: [
            _join(
                _arc(0.3, 0.27, 0.28, 0.27, 10, 365),
                _bezier((0.58, 0.27), (0.6, 0.8), (0.45, 1.0), (0.1, 0.94)),
            )
        ],
        lambda: [_join(_arc(0.3, 0.27, 0.28, 0.27, 5, 360), _poly((0.58, 0.27), (0.3, 1.0)))],
    ],
}


def _densify(stroke: Stroke, spacing: float = 0.01) -> Stroke:
    """Points about ``spacing`` apart, so that jitter bends straight segments too."""
    seg = np.linalg.norm(np.diff(stroke, axis=0), axis=1)
    dist = np.concatenate([[0.0], np.cumsum(seg)])
    if dist[-1] == 0:
        return stroke
    at = np.linspace(0.0, dist[-1], max(int(dist[-1] / spacing), 2))
    return np.column_stack([np.interp(at, dist, stroke[:, 0]), np.interp(at, dist, stroke[:, 1])])


def _hand(strokes: list[Stroke], rng: np.random.Generator) -> list[Stroke]:
    """Smooth random bending, slant, rotation and width change: a person's hand."""
    strokes = [_densify(s) for s in strokes]
    # Low-frequency displacement field: a few random sinusoids in x and y.
    freq = rng.uniform(0.3, 1.8, size=(2, 3, 2))
    phase = rng.uniform(0, 2 * np.pi, size=(2, 3))
    amp = rng.uniform(0.0, 0.03, size=(2, 3))

    def bend(p: Stroke) -> Stroke:
        out = p.copy()
        for axis in range(2):
            arg = 2 * np.pi * (p @ freq[axis].T) + phase[axis]
            out[:, axis] += (amp[axis] * np.sin(arg)).sum(axis=1)
        return out

    slant = rng.uniform(-0.1, 0.35)  # most people lean right
    theta = np.deg2rad(rng.uniform(-7, 7))
    widen = rng.uniform(0.75, 1.35)
    cos, sin = np.cos(theta), np.sin(theta)
    out = []
    for s in strokes:
        # Each stroke lands a little off where it was meant to start.
        p = bend(s) + rng.normal(0, 0.012, size=2)
        x = (p[:, 0] - 0.3) * widen + slant * (0.5 - p[:, 1])
        y = p[:, 1] - 0.5
        out.append(np.column_stack([cos * x - sin * y, sin * x + cos * y]))
    return out


def _render(strokes: list[Stroke], rng: np.random.Generator) -> np.ndarray:
    """Anti-aliased coverage (0..1) of the strokes, drawn with a round pen."""
    pts = np.concatenate(strokes)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    height = rng.uniform(110, 235)
    scale = height / max(hi[1] - lo[1], 1e-6)
    width = min(rng.uniform(8, 24), 0.16 * height)
    size = (hi - lo) * scale + width
    room = np.maximum(CANVAS - size, 0)
    # Anywhere on the canvas, but mostly near the middle like real users.
    offset = room * np.clip(rng.normal(0.5, 0.18, size=2), 0, 1) + width / 2
    big = Image.new("L", (CANVAS * SUPERSAMPLE, CANVAS * SUPERSAMPLE), 0)
    draw = ImageDraw.Draw(big)
    w = width * SUPERSAMPLE
    for s in strokes:
        p = ((s - lo) * scale + offset) * SUPERSAMPLE
        xy = [tuple(q) for q in p]
        draw.line(xy, fill=255, width=max(round(w), 1))
        # A disc at every point: round caps and joins like the canvas' lineCap
        # and lineJoin = "round" (Pillow's own joints leave hairline gaps).
        for cx, cy in xy:
            draw.ellipse((cx - w / 2, cy - w / 2, cx + w / 2, cy + w / 2), fill=255)
    small = big.reduce(SUPERSAMPLE)
    return np.asarray(small, dtype=np.float32) / 255.0


def _drawing(digit: int, rng: np.random.Generator) -> tuple[np.ndarray, tuple[int, int, int]]:
    """Coverage and ink colour of one hand-drawn ``digit``."""
    styles = STYLES[digit]
    strokes = _hand(styles[rng.integers(len(styles))](), rng)
    ink = INKS[rng.integers(len(INKS))]
    return _render(strokes, rng), ink


def synthetic_drawing(digit: int, rng: np.random.Generator) -> Image.Image:
    """One ``digit`` as the drawing page's canvas exports it: RGBA, 280x280,
    anti-aliased dark ink on transparent paper."""
    coverage, ink = _drawing(digit, rng)
    return canvas_picture(coverage, ink, "transparent")


def synthetic_digit_sets(
    n_per_class: int = 100,
    seed: int = 0,
    backgrounds: tuple[str, ...] = BACKGROUNDS,
) -> tuple[dict[str, list[bytes]], np.ndarray]:
    """``10 * n_per_class`` canvas-like PNGs per background (labels 0..9 in
    turn) and their labels. Each drawing is rendered once and saved on each
    background, so the sets hold the same drawings.

    Sample ``i`` depends only on (seed, i).
    """
    if not set(backgrounds) <= set(BACKGROUNDS):
        raise ValueError("backgrounds must be 'transparent' or 'white'")
    pngs: dict[str, list[bytes]] = {background: [] for background in backgrounds}
    labels = np.tile(np.arange(10), n_per_class)
    for i, label in enumerate(labels):
        coverage, ink = _drawing(int(label), np.random.default_rng([seed, i]))
        for background in backgrounds:
            pngs[background].append(canvas_png(coverage, background, ink))
    return pngs, labels
