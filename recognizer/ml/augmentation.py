"""Random distortions of the training images, fed through the live preprocessing.

Each image is redrawn large on a padded square (load_digits' 8x8 images
stretched to 32x32, an imported image's ink box brought to 32 pixels on its
longer side), then distorted: rotated, sheared, scaled, bent, its strokes
made thicker or thinner.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from PIL import Image
from skimage.transform import AffineTransform, warp

from recognizer.ml.inkbox import extent, ink_box
from recognizer.ml.preprocessing import DigitFeatures

RENDER = 32  # the 8x8 images are redrawn at 32x32, the optdigits bitmap size
PADDED_SIDE = 48  # the redraw centred on a square this wide: room to rotate and scale it
BOX_LEVEL = 0.2  # ink above this share of the darkest makes an imported image's ink box


@dataclass(frozen=True)
class Distortion:
    """Ranges of the random distortions (uniform in +-range unless stated)."""

    rotation_deg: float = 15.0
    shear: float = 0.3
    scale: float = 0.15  # overall size
    aspect: float = 0.15  # width relative to height
    shift: float = 2.0  # pixels of the 48x48 padded square
    elastic_rms: float = 1.5  # displacement RMS in pixels (~3% of the padded square)
    elastic_sigma: float = 6.0  # spacing of the displacement field's knots in pixels
    threshold: tuple[float, float] = (0.25, 0.75)  # binarisation level: stroke width


def render_large(image: np.ndarray) -> np.ndarray:
    """Bilinear 32x32 redraw of an 8x8 image, centred on a 48x48 padded square."""
    pil = Image.fromarray(np.asarray(image, dtype=np.float32), mode="F")
    big = np.asarray(pil.resize((RENDER, RENDER), Image.Resampling.BILINEAR))
    canvas = np.zeros((PADDED_SIDE, PADDED_SIDE), dtype=np.float32)
    o = (PADDED_SIDE - RENDER) // 2
    canvas[o : o + RENDER, o : o + RENDER] = big
    return canvas


def place_on_padded(ink: np.ndarray) -> np.ndarray:
    """Return an ink image of any size redrawn on the padded square: its ink box scaled
    (bilinear, aspect kept) to RENDER pixels on its longer side, as tall as a redrawn
    load_digits image, and centred. A blank image gives a blank square."""
    ink = np.asarray(ink, dtype=np.float32)
    canvas = np.zeros((PADDED_SIDE, PADDED_SIDE), dtype=np.float32)
    box = ink_box(ink, BOX_LEVEL * ink.max(initial=0.0))
    if box is None:
        return canvas
    rows, cols = box
    scale = RENDER / max(extent(box))
    # One pixel of margin keeps the anti-aliased edge of the strokes.
    box = ink[max(rows.start - 1, 0) : rows.stop + 1, max(cols.start - 1, 0) : cols.stop + 1]
    height = min(max(round(box.shape[0] * scale), 1), PADDED_SIDE)
    width = min(max(round(box.shape[1] * scale), 1), PADDED_SIDE)
    resized = Image.fromarray(box, mode="F").resize((width, height), Image.Resampling.BILINEAR)
    o_row, o_col = (PADDED_SIDE - height) // 2, (PADDED_SIDE - width) // 2
    canvas[o_row : o_row + height, o_col : o_col + width] = np.clip(np.asarray(resized), 0, 1)
    return canvas


# The padded square's centre, about which the distortions turn and scale.
_CENTRE = (PADDED_SIDE - 1) / 2
_TO_CENTRE = AffineTransform(translation=(-_CENTRE, -_CENTRE))


@lru_cache(maxsize=8)
def _smooth_basis(n: int, spacing: float) -> np.ndarray:
    """(n, k) Gaussian bumps every ``spacing`` pixels: basis @ noise @ basis.T is a
    smooth random field, far cheaper than filtering white noise at full size."""
    knots = np.arange(-spacing, n + spacing, spacing)
    basis = np.exp(-0.5 * ((np.arange(n)[:, None] - knots[None, :]) / spacing) ** 2)
    basis.flags.writeable = False
    return basis


def _bend(rng: np.random.Generator, d: Distortion) -> np.ndarray:
    """Return a smooth random displacement of RMS ``d.elastic_rms``: its (x, y)
    components at [:, row, column] of the padded square."""
    basis = _smooth_basis(PADDED_SIDE, d.elastic_sigma)
    noise = rng.standard_normal((2, basis.shape[1], basis.shape[1]))
    field = basis @ noise @ basis.T
    return field * (d.elastic_rms / (field.std() + 1e-12))


def distort(image: np.ndarray, rng: np.random.Generator, d: Distortion) -> np.ndarray:
    """One random affine + elastic distortion and a stroke-width change of a padded redraw."""
    theta = np.deg2rad(rng.uniform(-d.rotation_deg, d.rotation_deg))
    shear = rng.uniform(-d.shear, d.shear)
    size = 1.0 + rng.uniform(-d.scale, d.scale)
    aspect = 1.0 + rng.uniform(-d.aspect, d.aspect)
    shift = rng.uniform(-d.shift, d.shift, size=2)
    # Scale (with aspect), shear, rotate about the centre, then shift.
    affine = (
        _TO_CENTRE
        + AffineTransform(scale=(size * aspect, size))
        + AffineTransform(matrix=np.array([[1.0, shear, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]))
        + AffineTransform(rotation=theta)
        + AffineTransform(translation=_CENTRE + shift)
    )
    bend = _bend(rng, d) if d.elastic_rms > 0 else None

    def source(coords: np.ndarray) -> np.ndarray:
        """Return where each output (x, y) pixel is sampled: the affine map's inverse, bent."""
        sampled = affine.inverse(coords)
        if bend is None:
            return sampled
        x, y = np.rint(coords).astype(np.intp).T
        return sampled + bend[:, y, x].T

    warped = warp(image, source, order=1, mode="constant", cval=0.0, preserve_range=True)
    # Mapping a random level to 0.5 (paper and full ink unchanged) moves the
    # preprocessing's binarisation threshold: strokes get thicker or thinner.
    level = rng.uniform(*d.threshold)
    return np.interp(warped, [0.0, level, 1.0], [0.0, 0.5, 1.0]).astype(np.float32)


@dataclass(frozen=True)
class Augmenter:
    """A training transform for `featurising.featurise`: the features of each image,
    then of ``copies`` distortions of its redraw (``redraw``: `place_on_padded`, or
    `render_large` for load_digits' 8x8 images, whose undistorted row is their
    redraw too), each row ``repeat`` times.

    The distortions of an image are drawn from a generator seeded by (seed, the
    CRC-32 of its pixels): the rows do not depend on how the work is batched.
    """

    features: DigitFeatures
    copies: int = 0
    seed: int = 0
    redraw: Callable[[np.ndarray], np.ndarray] = place_on_padded
    redraw_original: bool = False
    repeat: int = 1
    distortion: Distortion = field(default_factory=Distortion)

    @property
    def rows_per_image(self) -> int:
        return (1 + self.copies) * self.repeat

    def images(self, image: np.ndarray) -> list[np.ndarray]:
        """Return one image's undistorted version and its distorted copies."""
        image = np.asarray(image, dtype=np.float32)
        if not self.copies:
            return [self.redraw(image) if self.redraw_original else image]
        base = self.redraw(image)
        rng = np.random.default_rng([self.seed, zlib.crc32(image.tobytes())])
        copies = [distort(base, rng, self.distortion) for _ in range(self.copies)]
        return [base if self.redraw_original else image, *copies]

    def __call__(self, images: Sequence[np.ndarray]) -> np.ndarray:
        rows = self.features.transform([out for image in images for out in self.images(image)])
        return np.repeat(rows, self.repeat, axis=0) if self.repeat > 1 else rows
