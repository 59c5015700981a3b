"""Pictures as the drawing page's canvas exports them: RGBA PNGs of ink coverage.

Shared by the evaluation sets (load_digits drawn large) and the synthetic
pen-drawn digits.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

CANVAS = 280  # the drawing page's canvas, pixels a side
BACKGROUNDS = ("transparent", "white")
UPSCALING = {"nearest": Image.Resampling.NEAREST, "bilinear": Image.Resampling.BILINEAR}


def canvas_picture(
    coverage: np.ndarray, ink: tuple[int, int, int] = (0, 0, 0), background: str = "white"
) -> Image.Image:
    """Return an RGBA picture: ``ink`` colour with alpha = coverage (0..1), on
    transparency or composited onto white."""
    if background not in BACKGROUNDS:
        raise ValueError("background must be 'white' or 'transparent'")
    alpha = np.clip(np.rint(np.asarray(coverage) * 255), 0, 255).astype(np.uint8)
    rgba = np.empty((*alpha.shape, 4), dtype=np.uint8)
    rgba[..., :3] = ink
    rgba[..., 3] = alpha
    picture = Image.fromarray(rgba, "RGBA")
    if background == "white":
        picture = Image.alpha_composite(Image.new("RGBA", picture.size, (255,) * 4), picture)
    return picture


def canvas_png(
    coverage: np.ndarray, background: str = "white", ink: tuple[int, int, int] = (0, 0, 0)
) -> bytes:
    """Return `canvas_picture` as PNG bytes."""
    buffer = io.BytesIO()
    canvas_picture(coverage, ink, background).save(buffer, "PNG")
    return buffer.getvalue()


def enlarge(ink: np.ndarray, mode: str, size: int = CANVAS) -> np.ndarray:
    """Return a small ink image upscaled to ``size`` x ``size`` (``nearest`` or ``bilinear``)."""
    grey = Image.fromarray(np.clip(np.rint(np.asarray(ink) * 255), 0, 255).astype(np.uint8), "L")
    return np.asarray(grey.resize((size, size), UPSCALING[mode]), dtype=np.float32) / 255.0
