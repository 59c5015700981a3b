"""Turn ink arrays of any size into the 64 features of `load_digits`.

`load_digits` is the UCI optdigits set: each digit was scaled into a 32x32
binary bitmap, then the ink pixels were counted in non-overlapping 4x4
blocks, giving an 8x8 grid of values 0..16. The transformer below does the
same to a drawing: crop to the ink, scale it so that it fills the height of
the 32x32 box (keeping the aspect ratio, centred across), threshold, count.
Training images (8x8 arrays) go through exactly the same steps, so that the
classifier sees live drawings and training samples alike.
"""

from collections.abc import Sequence

import numpy as np
from PIL import Image
from sklearn.base import BaseEstimator, TransformerMixin

BOX = 32
BLOCK = 4
N_FEATURES = (BOX // BLOCK) ** 2


def crop_to_ink(ink: np.ndarray, level: float) -> np.ndarray | None:
    """The smallest rectangle holding every pixel above `level`, or None."""
    rows = np.flatnonzero(ink.max(axis=1) > level)
    cols = np.flatnonzero(ink.max(axis=0) > level)
    if rows.size == 0 or cols.size == 0:
        return None
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def fit_to_box(ink: np.ndarray, box: int) -> np.ndarray:
    """Scale to the full height of a box x box square, keep the aspect ratio."""
    height, width = ink.shape
    scale = box / max(height, width)
    new_height = max(1, min(box, round(height * scale)))
    new_width = max(1, min(box, round(width * scale)))
    resized = Image.fromarray(ink.astype(np.float32), mode="F").resize(
        (new_width, new_height), Image.Resampling.BILINEAR
    )
    square = np.zeros((box, box), dtype=np.float32)
    top = (box - new_height) // 2
    left = (box - new_width) // 2
    square[top : top + new_height, left : left + new_width] = np.asarray(resized)
    return square


def block_counts(bitmap: np.ndarray, block: int) -> np.ndarray:
    """Count set pixels in non-overlapping block x block squares."""
    size = bitmap.shape[0] // block
    return bitmap.reshape(size, block, size, block).sum(axis=(1, 3))


class DigitFeatures(TransformerMixin, BaseEstimator):
    """Ink arrays (any shape, 1 = ink) → 64 optdigits-style block counts.

    Parameters
    ----------
    crop_level:
        Ink above this level counts when cropping; low, so that faint
        anti-aliased edges still belong to the digit.
    threshold:
        Ink level at which a pixel of the 32x32 bitmap is set.
    """

    def __init__(self, crop_level: float = 0.05, threshold: float = 0.5):
        self.crop_level = crop_level
        self.threshold = threshold

    def fit(self, X: Sequence[np.ndarray], y: object = None) -> "DigitFeatures":
        return self

    def __sklearn_is_fitted__(self) -> bool:
        # Stateless: nothing is learnt from the data.
        return True

    def transform(self, X: Sequence[np.ndarray]) -> np.ndarray:
        features = np.zeros((len(X), N_FEATURES), dtype=np.float64)
        for row, ink in enumerate(X):
            cropped = crop_to_ink(np.asarray(ink, dtype=np.float32), self.crop_level)
            if cropped is None:
                continue
            bitmap = fit_to_box(cropped, BOX) >= self.threshold
            features[row] = block_counts(bitmap, BLOCK).ravel()
        return features
