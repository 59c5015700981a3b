"""Random distortions of the 8x8 training digits, fed through the live preprocessing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from joblib import Parallel, delayed
from PIL import Image
from scipy.ndimage import map_coordinates
from threadpoolctl import threadpool_limits

from recognizer.ml.preprocessing import DigitFeatures

Progress = Callable[[int, int], None]

RENDER = 32  # the 8x8 images are redrawn at 32x32, the optdigits bitmap size
PADDED_SIDE = 48  # the redraw centred on a square this wide: room to rotate and scale it


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


# Output pixel coordinates relative to the square's centre, (x, y) rows: shared
# by every distortion.
_CENTRE = (PADDED_SIDE - 1) / 2
_AXIS = np.arange(PADDED_SIDE)
_GRID = np.stack(np.meshgrid(_AXIS, _AXIS)).reshape(2, -1) - _CENTRE


@lru_cache(maxsize=8)
def _smooth_basis(n: int, spacing: float) -> np.ndarray:
    """(n, k) Gaussian bumps every ``spacing`` pixels: basis @ noise @ basis.T is a
    smooth random field, far cheaper than filtering white noise at full size."""
    knots = np.arange(-spacing, n + spacing, spacing)
    basis = np.exp(-0.5 * ((np.arange(n)[:, None] - knots[None, :]) / spacing) ** 2)
    basis.flags.writeable = False
    return basis


def distort(image: np.ndarray, rng: np.random.Generator, d: Distortion) -> np.ndarray:
    """One random affine + elastic distortion and a stroke-width change of a padded redraw."""
    theta = np.deg2rad(rng.uniform(-d.rotation_deg, d.rotation_deg))
    shear = rng.uniform(-d.shear, d.shear)
    size = 1.0 + rng.uniform(-d.scale, d.scale)
    aspect = 1.0 + rng.uniform(-d.aspect, d.aspect)
    shift = rng.uniform(-d.shift, d.shift, size=(2, 1))
    cos, sin = np.cos(theta), np.sin(theta)
    # Forward map (x, y): scale with aspect, shear, rotate; sample through its inverse.
    forward = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1.0, shear], [0.0, 1.0]])
    forward = forward @ np.diag([size * aspect, size])
    src = np.linalg.inv(forward) @ (_GRID - shift) + _CENTRE
    if d.elastic_rms > 0:
        basis = _smooth_basis(PADDED_SIDE, d.elastic_sigma)
        noise = rng.standard_normal((2, basis.shape[1], basis.shape[1]))
        field = (basis @ noise @ basis.T).reshape(2, -1)
        src += field * (d.elastic_rms / (field.std() + 1e-12))
    warped = map_coordinates(
        image, src[::-1].reshape(2, PADDED_SIDE, PADDED_SIDE), order=1, cval=0.0
    )
    # Mapping a random level to 0.5 (paper and full ink unchanged) moves the
    # preprocessing's binarisation threshold: strokes get thicker or thinner.
    level = rng.uniform(*d.threshold)
    return np.interp(warped, [0.0, level, 1.0], [0.0, 0.5, 1.0]).astype(np.float32)


def augment(
    images: Sequence[np.ndarray],
    factor: int,
    seed: int,
    distortion: Distortion = Distortion(),
    start: int = 0,
) -> list[np.ndarray]:
    """Each image redrawn large, followed by ``factor`` distorted copies of it.

    Sample ``i`` draws from its own generator seeded by (seed, start + i), so the
    result does not depend on how the work is split into chunks.
    """
    out: list[np.ndarray] = []
    for i, image in enumerate(images):
        base = render_large(image)
        out.append(base)
        rng = np.random.default_rng([seed, start + i])
        out.extend(distort(base, rng, distortion) for _ in range(factor))
    return out


def _chunk_features(
    images: Sequence[np.ndarray],
    factor: int,
    seed: int,
    distortion: Distortion,
    start: int,
    features: DigitFeatures,
) -> np.ndarray:
    # One BLAS thread per worker: the workers already use the cores, and
    # oversubscribed BLAS threads make small matrix products crawl.
    with threadpool_limits(1):
        return features.transform(augment(images, factor, seed, distortion, start))


def augmented_features(
    images: Sequence[np.ndarray],
    labels: np.ndarray,
    features: DigitFeatures,
    factor: int = 10,
    seed: int = 0,
    distortion: Distortion = Distortion(),
    n_jobs: int | None = None,
    progress: Progress | None = None,
    chunk_size: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows of the originals and ``factor`` distortions of each, with labels.

    Runs in chunks (in parallel with ``n_jobs``) and reports ``progress(done, total)``
    in source images after each chunk.
    """
    labels = np.asarray(labels)
    total = len(images)
    starts = range(0, total, chunk_size)
    jobs = (
        delayed(_chunk_features)(images[s : s + chunk_size], factor, seed, distortion, s, features)
        for s in starts
    )
    parts: list[np.ndarray] = []
    done = 0
    # return_as="generator" yields chunks in order as they finish: live progress.
    for part in Parallel(n_jobs=n_jobs, return_as="generator")(jobs):
        parts.append(part)
        done = min(done + chunk_size, total)
        if progress is not None:
            progress(done, total)
    X = np.concatenate(parts) if parts else np.zeros((0, 64))
    return X, np.repeat(labels, factor + 1)
