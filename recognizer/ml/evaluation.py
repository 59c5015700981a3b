"""Accuracy, calibration and visual checks of a fitted pipeline on drawing-like data."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw
from sklearn.metrics import confusion_matrix
from sklearn.pipeline import Pipeline

from recognizer.ml.datasets import Source
from recognizer.ml.featurising import Features, Progress, featurise
from recognizer.ml.listings import Problem
from recognizer.ml.preprocessing import DigitFeatures
from recognizer.ml.synthetic import CANVAS, synthetic_digit_sets
from recognizer.ml.training import digits_split

Decoder = Callable[[bytes], np.ndarray]
UPSCALING = {"nearest": Image.Resampling.NEAREST, "bilinear": Image.Resampling.BILINEAR}


def canvas_png(ink: np.ndarray, background: str = "white") -> bytes:
    """An ink image (1 = ink) as a canvas-like RGBA PNG: black ink on white or transparent."""
    alpha = np.clip(np.rint(np.asarray(ink) * 255), 0, 255).astype(np.uint8)
    rgba = np.zeros((*alpha.shape, 4), dtype=np.uint8)
    if background == "white":
        rgba[..., :3] = (255 - alpha)[..., None]
        rgba[..., 3] = 255
    elif background == "transparent":
        rgba[..., 3] = alpha
    else:
        raise ValueError("background must be 'white' or 'transparent'")
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, "PNG")
    return buf.getvalue()


def enlarge(ink: np.ndarray, mode: str, size: int = CANVAS) -> np.ndarray:
    """A small ink image upscaled to ``size`` x ``size`` (``nearest`` or ``bilinear``)."""
    grey = Image.fromarray(np.clip(np.rint(np.asarray(ink) * 255), 0, 255).astype(np.uint8), "L")
    return np.asarray(grey.resize((size, size), UPSCALING[mode]), dtype=np.float32) / 255.0


def drawn_large_set(mode: str, decode: Decoder) -> tuple[list[np.ndarray], np.ndarray]:
    """The held-out 25% of load_digits, each drawn 280x280 dark on white as a PNG
    and decoded by ``decode`` (the app's PNG -> ink function)."""
    _, X_test, _, y_test = digits_split()
    return [decode(canvas_png(enlarge(image, mode))) for image in X_test], y_test


def standard_sets(
    decode: Decoder, n_per_class: int = 100, seed: int = 0
) -> dict[str, tuple[list[np.ndarray], np.ndarray]]:
    """Every evaluation set, by name: load_digits' test split drawn large
    (nearest and bilinear upscaling) and the synthetic stroke-drawn digits on a
    transparent and on a white background. None of them is trained on."""
    sets = {
        f"load_digits test, drawn large ({mode})": drawn_large_set(mode, decode)
        for mode in UPSCALING
    }
    pngs, labels = synthetic_digit_sets(n_per_class, seed)
    for background, drawings in pngs.items():
        sets[f"synthetic strokes ({background})"] = ([decode(png) for png in drawings], labels)
    return sets


@dataclass
class Evaluation:
    """Scores of a pipeline on one labelled set."""

    accuracy: float
    per_class: list[float]
    confusion: list[list[int]]
    ece: float  # expected calibration error of the top probability, 10 bins
    reliability: list[dict[str, float]] = field(default_factory=list)
    n: int = 0


def calibration(
    proba: np.ndarray, labels: np.ndarray, n_bins: int = 10
) -> tuple[float, list[dict[str, float]]]:
    """ECE and per-bin (confidence, accuracy, count) of the top class probability."""
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == labels
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    table = []
    for b in range(n_bins):
        sel = bins == b
        if not sel.any():
            continue
        conf, acc = float(confidence[sel].mean()), float(correct[sel].mean())
        ece += sel.mean() * abs(conf - acc)
        table.append(
            {"low": b / n_bins, "confidence": conf, "accuracy": acc, "count": int(sel.sum())}
        )
    return float(ece), table


def evaluate(pipeline: Pipeline, images: Sequence[np.ndarray], labels: np.ndarray) -> Evaluation:
    """Return the accuracy, per-class accuracy, confusion matrix and calibration on a set."""
    return scores(pipeline.predict_proba(images), pipeline.classes_, labels)


def scores(proba: np.ndarray, classes: np.ndarray, labels: np.ndarray) -> Evaluation:
    """Return the figures of a set from its predicted probabilities (columns: ``classes``)."""
    labels = np.asarray(labels)
    if not len(labels):
        return Evaluation(accuracy=0.0, per_class=[0.0] * 10, confusion=[[0] * 10] * 10, ece=0.0)
    predicted = classes[proba.argmax(axis=1)]
    cm = confusion_matrix(labels, predicted, labels=np.arange(10))
    per_class = cm.diagonal() / np.maximum(cm.sum(axis=1), 1)
    ece, table = calibration(proba, labels)
    return Evaluation(
        accuracy=float((predicted == labels).mean()),
        per_class=[float(v) for v in per_class],
        confusion=cm.tolist(),
        ece=ece,
        reliability=table,
        n=len(labels),
    )


def score_source(
    pipeline: Pipeline,
    source: Source,
    indices: np.ndarray | None = None,
    *,
    features: Features | None = None,
    n_jobs: int | None = None,
    progress: Progress | None = None,
) -> tuple[Evaluation, list[Problem]]:
    """Return the figures of a pipeline on a source's items (``indices``; default all),
    decoded and preprocessed a batch at a time, and what was skipped. ``features``:
    the items' rows as this pipeline's preprocessing made them already."""
    if features is None:
        features = featurise(
            source, pipeline[:1].transform, indices, n_jobs=n_jobs, progress=progress
        )
    proba = pipeline[1:].predict_proba(features.X) if len(features.y) else np.zeros((0, 10))
    return scores(proba, pipeline.classes_, features.y), features.problems


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


def format_scores(scores: dict[str, Evaluation], detail: bool = False) -> str:
    """Scores as plain-text tables: one line per set, and with ``detail`` the
    per-class accuracy and the confusion matrix (rows: true digit) of each."""
    lines = [f"{'evaluation set':42} {'drawings':>8} {'accuracy':>9} {'calib. err':>10}"]
    for name, score in scores.items():
        lines.append(f"{name:42} {score.n:8d} {score.accuracy:9.2%} {score.ece:10.3f}")
    if not detail:
        return "\n".join(lines)
    header = "      " + "".join(f"{digit:>6}" for digit in range(10))
    for name, score in scores.items():
        lines += ["", f"{name}: {score.accuracy:.2%} of {score.n}"]
        lines.append(header)
        lines.append("right " + "".join(f"{value:6.0%}" for value in score.per_class))
        lines.append("true  predicted as")
        for digit, row in enumerate(score.confusion):
            lines.append(f"{digit:>4}  " + "".join(f"{count:6d}" for count in row))
        lines.append("confidence shown -> how often right:")
        for row in score.reliability:
            lines.append(
                f"  {row['low']:.1f}-{row['low'] + 0.1:.1f}: shown {row['confidence']:.2f}, "
                f"right {row['accuracy']:.2f} ({row['count']} drawings)"
            )
    return "\n".join(lines)
