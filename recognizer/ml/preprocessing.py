"""Turn ink images of any size into load_digits-style features (8x8 by default)."""

from __future__ import annotations

from collections.abc import Sequence
from statistics import NormalDist

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage import measure, transform
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import Tags

from recognizer.ml.inkbox import Box, extent, ink_box

GRID = 8  # the default grid: 8x8, like load_digits' ``data``
MAX_VALUE = 16.0  # load_digits counts 16 pixels per cell (4x4 blocks)
# The features recipe's version, recorded in every model: a model learnt from
# another recipe's features is refused (1: the hand-built matrices; 2: the first
# recipe on library calls, at 64 working pixels).
RECIPE = 3
REDUCE_TO = 2  # large images are first reduced to under twice work_size pixels a side
BLUR_REACH = 3.0  # the blur's kernel, in standard deviations each side
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


def _with_margin(image: np.ndarray, box: Box, margin: int) -> np.ndarray:
    """Return the box with ``margin`` pixels around it, paper where the image ends."""
    rows, cols = box
    pads = (
        (max(margin - rows.start, 0), max(rows.stop + margin - image.shape[0], 0)),
        (max(margin - cols.start, 0), max(cols.stop + margin - image.shape[1], 0)),
    )
    crop = image[
        max(rows.start - margin, 0) : rows.stop + margin,
        max(cols.start - margin, 0) : cols.stop + margin,
    ]
    return np.pad(crop, pads) if any(any(pad) for pad in pads) else crop


class DigitFeatures(BaseEstimator, TransformerMixin):
    """Normalise a drawing the way the optdigits bitmaps were, then count ink per cell.

    Input: 2-D ink images (1 = ink, 0 = paper) of any size. Large images are
    first reduced to under twice ``work_size`` pixels a side. The ink box (parts
    with less than ``min_part`` of the ink left out) is enlarged to ``work_size``
    pixels on its longer side if it is smaller, blurred by ``smooth`` x its
    height, binarised at ``threshold`` x the darkest ink (lower where needed to
    widen strokes thinner than ``min_stroke`` x the height), slant-corrected
    (shear from the inked pixels' covariance), stretched to the full height and
    ``box_width`` eighths of the width (at most ``max_stretch`` times the
    vertical scale), and the ink share of each cell of a ``grid`` x ``grid``
    raster is scaled to 0..16. Images whose darkest ink is below ``min_ink`` are
    blank: all zeros.

    ``work_size`` is 32 because the optdigits bitmaps were 32x32 before they were
    counted in 4x4 blocks. ``box_width`` counts in eighths so that one setting
    keeps the digit's proportions at any grid: 5 is 5 of load_digits' 8 columns,
    10 of 16.
    """

    def __init__(
        self,
        threshold: float = 0.5,
        deskew: bool = True,
        box_width: float = 5.0,
        max_stretch: float = 3.0,
        work_size: int = 32,
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
        """Binary ink box at ``work_size`` to about twice that pixels on its longer
        side: the resolution is set in units of the digit's size, whatever the
        canvas size."""
        # Reduce early (Pillow's block means, the cheapest): every later step
        # then sees a few thousand pixels.
        early = max(image.shape) // (REDUCE_TO * self.work_size)
        if early > 1:
            image = block_means(image, early)
        peak = float(image.max()) if image.size else 0.0
        if not np.isfinite(peak) or peak < self.min_ink:  # blank (or not an image)
            return None
        # Thresholds relative to the darkest ink: a light pen draws the same shape.
        box = ink_box(image, self.threshold * peak, min_part=self.min_part)
        if box is None:
            return None
        height, width = extent(box)
        # Only small ink is enlarged (the 8x8 training digits, an MNIST-sized
        # upload): bilinear upsampling, then binarising, rebuilds a bitmap.
        zoom = max(self.work_size / max(height, width), 1.0)
        sigma = self.smooth * height * zoom
        # Paper around the box as wide as the blur reaches: no ink is cut off.
        work = _with_margin(image, box, int(np.ceil(BLUR_REACH * sigma / zoom)) + 1)
        if zoom > 1:
            work = transform.rescale(
                work, zoom, order=1, mode="edge", anti_aliasing=False, preserve_range=True
            )
        if sigma > 0:
            # Blurring at a fixed fraction of the height makes square-pixel
            # (nearest-neighbour) enlargements look like smooth ones.
            work = ndimage.gaussian_filter(work, sigma, mode="constant", truncate=BLUR_REACH)
        # Relative to the blurred peak, so that a thin pen's strokes survive.
        peak = float(work.max())
        mask = work > self.threshold * peak
        if self.min_stroke > 0 and sigma > 0:
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
        mask = self._work_mask(image)
        if mask is None or not mask.any():
            return np.zeros(n * n)
        ys, xs = np.nonzero(mask)
        # Slant = cov(x, y) / var(y) of the inked pixels: shearing x by it makes
        # the main axis vertical, as in the optdigits bitmaps.
        (var_y, cov_yx), _ = np.cov(ys, xs) if len(ys) > 1 else ((0.0, 0.0), None)
        slant = cov_yx / var_y if self.deskew and var_y > 0 else 0.0
        mean_y = ys.mean()
        sheared = xs - slant * (ys - mean_y)
        # The sheared ink box, in pixel edges (pixel i spans i..i+1).
        y0, y1 = ys.min(), ys.max() + 1.0
        x0, x1 = sheared.min(), sheared.max() + 1.0
        # Full height; the width stretched to the fixed box, but never more than
        # max_stretch times the vertical scale: a plain "1" stays a narrow bar.
        scale_y = n / (y1 - y0)
        scale_x = min(self.box_width * n / GRID / (x1 - x0), self.max_stretch * scale_y)
        # One affine warp draws the box at `fine` pixels a cell (about the working
        # resolution), then cell means count the ink, 0..16 like load_digits.
        # Pillow's transform takes, for each drawn point (u, v), the point of the
        # mask it comes from: y = y0 + v / zoom_y, and x = the sheared box's
        # centre + (u - side / 2) / zoom_x, shifted back by the slant at y.
        fine = max(1, -(-self.work_size // n))
        side = n * fine
        zoom_x, zoom_y = scale_x * fine, scale_y * fine
        centre_y = mean_y + 0.5  # of the ink, in pixel edges
        source = (
            1 / zoom_x,
            slant / zoom_y,
            (x0 + x1) / 2 - side / 2 / zoom_x + slant * (y0 - centre_y),
            0.0,
            1 / zoom_y,
            y0,
        )
        picture = Image.fromarray(mask.astype(np.float32), mode="F")
        drawn = picture.transform(
            (side, side), Image.Transform.AFFINE, source, resample=Image.Resampling.BILINEAR
        )
        cells = np.asarray(drawn.reduce(fine))
        return np.minimum(cells.ravel() * MAX_VALUE, MAX_VALUE).astype(np.float64)
