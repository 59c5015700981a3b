"""Turn ink images of any size into load_digits-style features (8x8 by default)."""

from __future__ import annotations

from collections.abc import Sequence
from statistics import NormalDist

import numpy as np
from PIL import Image
from skimage import filters, measure, transform
from skimage.transform import AffineTransform
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import Tags

from recognizer.ml.inkbox import ink_box

GRID = 8  # the default grid: 8x8, like load_digits' ``data``
MAX_VALUE = 16.0  # load_digits counts 16 pixels per cell (4x4 blocks)
# The features recipe's version, recorded in every model: a model learnt from
# another recipe's features is refused (1: the hand-built matrices, before
# scikit-image).
RECIPE = 2
REDUCE_TO = 2  # large images are first reduced to about twice work_size pixels a side
_NORMAL = NormalDist()


def block_means(image: np.ndarray, step: int) -> np.ndarray:
    """Return the means of step x step blocks (those cut by the far edges: of their
    pixels inside): Pillow's reduce, many times cheaper than scikit-image's
    downscale_local_mean on a drawing this size."""
    return np.asarray(Image.fromarray(image, mode="F").reduce(step))


def _stroke_width(mask: np.ndarray) -> float:
    """Return the mean stroke width in pixels: 2 x area / perimeter (Crofton's
    perimeter is nearly unbiased for strokes at any angle)."""
    perimeter = measure.perimeter_crofton(mask, directions=4)
    return 2.0 * np.count_nonzero(mask) / max(perimeter, 1.0)


class DigitFeatures(BaseEstimator, TransformerMixin):
    """Normalise a drawing the way the optdigits bitmaps were, then count ink per cell.

    Input: 2-D ink images (1 = ink, 0 = paper) of any size. The ink box (parts
    with less than ``min_part`` of the ink left out) is resampled to about
    ``work_size`` pixels on its longer side, blurred by ``smooth`` x its height,
    binarised at ``threshold`` x the darkest ink (lower where needed to widen
    strokes thinner than ``min_stroke`` x the height), slant-corrected (shear from
    image moments), stretched to the full height and ``box_width`` eighths of the
    width (at most ``max_stretch`` times the vertical scale), and the ink share
    of each cell of a ``grid`` x ``grid`` raster is scaled to 0..16. Images whose
    darkest ink is below ``min_ink`` are blank: all zeros.

    ``box_width`` counts in eighths so that one setting keeps the digit's
    proportions at any grid: 5 is 5 of load_digits' 8 columns, 10 of 16.
    """

    def __init__(
        self,
        threshold: float = 0.5,
        deskew: bool = True,
        box_width: float = 5.0,
        max_stretch: float = 3.0,
        work_size: int = 64,
        smooth: float = 0.035,
        min_ink: float = 0.2,
        min_part: float = 0.05,
        min_stroke: float = 0.16,
        grid: int = GRID,
    ) -> None:
        self.threshold = threshold
        self.deskew = deskew
        self.box_width = box_width
        self.max_stretch = max_stretch
        self.work_size = work_size
        self.smooth = smooth
        self.min_ink = min_ink
        self.min_part = min_part
        self.min_stroke = min_stroke
        self.grid = grid

    def __setstate__(self, state: dict) -> None:
        # Models pickled before ``grid`` existed computed 8x8 features.
        state.setdefault("grid", GRID)
        super().__setstate__(state)

    def fit(self, X: Sequence[np.ndarray], y: object = None) -> DigitFeatures:
        """Stateless: nothing is learnt from the data."""
        return self

    def transform(self, X: Sequence[np.ndarray]) -> np.ndarray:
        """Return an (n, grid * grid) array of ink counts 0..16, row-major like load_digits."""
        if int(self.grid) != self.grid or self.grid < 2:
            raise ValueError(f"grid must be a whole number of cells, 2 or more, not {self.grid!r}")
        out = np.zeros((len(X), self.grid * self.grid), dtype=np.float64)
        for i, image in enumerate(X):
            image = np.asarray(image, dtype=np.float32)
            if image.ndim != 2:
                raise ValueError(f"expected 2-D ink images, got shape {image.shape}")
            out[i] = self._features(image)
        return out

    def __sklearn_tags__(self) -> Tags:
        # Stateless, and its input is a list of images, not a 2-D table.
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags

    def _work_mask(self, image: np.ndarray) -> np.ndarray | None:
        """Binary ink box at about ``work_size`` pixels on its longer side: the
        resolution is set in units of the digit's size, whatever the canvas size."""
        # Reduce early (Pillow's block means, the cheapest): a canvas-sized
        # drawing leaves every later step a few thousand pixels.
        early = max(image.shape) // (REDUCE_TO * self.work_size)
        if early > 1:
            image = block_means(image, early)
        peak = float(image.max()) if image.size else 0.0
        if not np.isfinite(peak) or peak < self.min_ink:  # blank (or not an image)
            return None
        # Thresholds relative to the darkest ink: a light pen draws the same shape.
        level = self.threshold * peak
        box = ink_box(image, level, min_part=self.min_part)
        if box is None:
            return None
        rows, cols = box
        height = rows.stop - rows.start
        # The longer side sets the resolution: a wide scribble stays small.
        extent = max(height, cols.stop - cols.start)
        if extent > self.work_size:
            # Large drawings: means of step x step blocks (area resampling keeps
            # hairlines, unlike sampling every step-th pixel).
            step = -(-extent // self.work_size)
            zoom = 1.0 / step
            crop = image[
                max(rows.start - step, 0) : rows.stop + step,
                max(cols.start - step, 0) : cols.stop + step,
            ]
            work = block_means(crop, step)
        else:
            # Small images (the 8x8 training digits): bilinear upsampling, then
            # binarising, rebuilds a bitmap like the originals load_digits counted.
            factor = -(-self.work_size // extent)
            zoom = float(factor)
            crop = image[
                max(rows.start - 1, 0) : rows.stop + 1, max(cols.start - 1, 0) : cols.stop + 1
            ]
            work = transform.rescale(
                crop, factor, order=1, mode="edge", anti_aliasing=False, preserve_range=True
            )
        if self.smooth > 0:
            # Blurring at a fixed fraction of the height makes square-pixel
            # (nearest-neighbour) enlargements look like smooth ones.
            sigma = self.smooth * height * zoom
            blur = max(round(sigma * 20) / 20, 0.05)
            # Zero margins as wide as the blur's reach: no ink is cut off.
            reach = int(np.ceil(3 * blur))
            work = filters.gaussian(
                np.pad(work, reach),
                sigma=blur,
                mode="constant",
                cval=0.0,
                truncate=reach / blur,
                preserve_range=True,
            )
            # Relative to the blurred peak, so that a thin pen's strokes survive.
            peak = float(work.max())
            level = self.threshold * peak
        mask = work > level
        if self.min_stroke > 0 and self.smooth > 0:
            # Strokes thinner than min_stroke x the height are widened by
            # lowering the level along the blurred edges (a Gaussian's profile).
            # The optdigits strokes are about 20% of the height (16% for the
            # thinnest tenth); a mouse or a thin pen draws half that, which reads
            # as another digit (a thin 1 with a flag looks like a 7 or a 2).
            grow = (self.min_stroke * height * zoom - _stroke_width(mask)) / 2
            if grow > 0:
                share = _NORMAL.cdf(_NORMAL.inv_cdf(self.threshold) - grow / sigma)
                mask = work > share * peak
        return mask

    def _features(self, image: np.ndarray) -> np.ndarray:
        """Return the grid * grid features of one ink image."""
        n = int(self.grid)
        work = self._work_mask(image)
        if work is None or not work.any():
            return np.zeros(n * n)
        mask = work.astype(np.float32)
        # Slant = cov(x, y) / var(y) from central moments ([rows, columns]):
        # shearing x by it makes the main axis vertical, as in the optdigits bitmaps.
        mu = measure.moments_central(mask, order=2)
        slant = mu[1, 1] / mu[2, 0] if self.deskew and mu[2, 0] > 0 else 0.0
        ys, xs = np.nonzero(mask)
        centre_y = ys.mean()
        sheared = xs - slant * (ys - centre_y)
        # The sheared ink box, in pixel edges.
        y0, y1 = ys.min(), ys.max() + 1.0
        x0, x1 = sheared.min(), sheared.max() + 1.0
        # Full height; the width stretched to the fixed box, but never more than
        # max_stretch times the vertical scale: a plain "1" stays a narrow bar.
        scale_y = n / (y1 - y0)
        scale_x = min(self.box_width * n / GRID / (x1 - x0), self.max_stretch * scale_y)
        # One warp draws the box at `fine` pixels a cell (about the working
        # resolution), then cell means count the ink, 0..16 like load_digits.
        # Its map (x right, y down, from pixel centres): shear x by the slant
        # about the centroid, centre the sheared box, scale to the cells' raster.
        fine = max(1, -(-self.work_size // n))
        zoom_x, zoom_y = scale_x * fine, scale_y * fine
        to_cells = AffineTransform(
            matrix=np.array(
                [
                    [zoom_x, -slant * zoom_x, (0.5 + slant * centre_y - (x0 + x1) / 2) * zoom_x],
                    [0.0, zoom_y, (0.5 - y0) * zoom_y],
                    [0.0, 0.0, 1.0],
                ]
            )
            + np.array([[0.0, 0.0, n * fine / 2 - 0.5], [0.0, 0.0, -0.5], [0.0, 0.0, 0.0]])
        )
        # Its inverse as a matrix: warp's fast path, without building a transform.
        drawn = transform.warp(
            mask,
            np.linalg.inv(to_cells.params),
            output_shape=(n * fine, n * fine),
            order=1,
            mode="constant",
            cval=0.0,
            preserve_range=True,
        )
        cells = block_means(drawn.astype(np.float32), fine)
        return np.minimum(cells.ravel() * MAX_VALUE, MAX_VALUE).astype(np.float64)
