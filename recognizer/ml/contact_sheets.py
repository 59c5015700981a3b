"""Contact sheets: drawings beside what the model saw of them and what it guessed."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw
from sklearn.pipeline import Pipeline

from recognizer.ml.preprocessing import DigitFeatures
from recognizer.ml.training import digits_split


def _cell_image(features: np.ndarray, side: int) -> Image.Image:
    """Return a feature row (grid x grid cells, 0..16) as a dark-on-white picture
    ``side`` pixels wide, cells square."""
    grid = math.isqrt(len(features))
    grey = (255 - np.clip(features.reshape(grid, grid), 0, 16) * (255 / 16)).astype(np.uint8)
    return Image.fromarray(grey, "L").resize((side, side), Image.Resampling.NEAREST)


def contact_sheet(
    pipeline: Pipeline,
    images: Sequence[np.ndarray],
    labels: np.ndarray,
    n_references: int = 4,
    cell: int = 10,
) -> bytes:
    """Return a PNG with one row per drawing: the drawing, its features (``cell`` pixels
    a cell of an 8x8 grid; finer grids share the same width), the guess with its
    probability, and the features of training samples of the drawing's true class."""
    features: DigitFeatures = pipeline.named_steps["features"]
    X_train, _, y_train, _ = digits_split()
    side = 8 * cell
    gap = cell
    width = side * (2 + n_references) + gap * (3 + n_references) + 6 * cell
    sheet = Image.new("L", (width, (side + gap) * len(images) + gap), 255)
    draw = ImageDraw.Draw(sheet)
    feats = features.transform(images)
    proba = pipeline.predict_proba(images)
    for row, (image, label) in enumerate(zip(images, labels, strict=True)):
        top = gap + row * (side + gap)
        drawing = Image.fromarray((255 - np.clip(image, 0, 1) * 255).astype(np.uint8), "L")
        sheet.paste(drawing.resize((side, side), Image.Resampling.BILINEAR), (gap, top))
        sheet.paste(_cell_image(feats[row], side), (2 * gap + side, top))
        guess = int(pipeline.classes_[proba[row].argmax()])
        mark = "ok" if guess == label else "WRONG"
        text = f"true {label}\nguess {guess}\np={proba[row].max():.2f}\n{mark}"
        draw.multiline_text((3 * gap + 2 * side, top), text, fill=0)
        refs = X_train[y_train == label][:n_references]
        for j, ref in enumerate(features.transform(refs)):
            left = 3 * gap + 2 * side + 6 * cell + j * (side + gap)
            sheet.paste(_cell_image(ref, side), (left, top))
    buf = io.BytesIO()
    sheet.save(buf, "PNG")
    return buf.getvalue()
