"""Where the ink is: the one ink box shared by decoding, preprocessing and augmentation."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

Box = tuple[slice, slice]
EIGHT_NEIGHBOURS = np.ones((3, 3), dtype=bool)  # diagonal pixels touch


def ink_box(ink: np.ndarray, level: float, *, min_part: float = 0.0) -> Box | None:
    """Return the rows and columns (as slices) of the pixels inked above ``level``,
    or None when there are none.

    Connected parts (8-neighbours) holding less than ``min_part`` of the inked
    pixels are left out, the largest part never: a stray dot (a slipped click)
    would otherwise stretch the box.
    """
    mask = ink > level
    rows = np.flatnonzero(mask.any(axis=1))
    if not rows.size:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    if min_part > 0:
        # Labelled within the box of all the ink: the same parts, fewer pixels.
        top, left = rows[0], cols[0]
        parts, _ = ndimage.label(mask[top : rows[-1] + 1, left : cols[-1] + 1], EIGHT_NEIGHBOURS)
        sizes = np.bincount(parts.ravel())
        if len(sizes) > 2:  # paper and more than one part
            sizes[0] = 0
            keep = sizes >= min_part * sizes.sum()
            keep[np.argmax(sizes)] = True
            keep[0] = False
            kept = keep[parts]
            rows = top + np.flatnonzero(kept.any(axis=1))
            cols = left + np.flatnonzero(kept.any(axis=0))
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def extent(box: Box) -> tuple[int, int]:
    """Return the height and width of a box."""
    rows, cols = box
    return rows.stop - rows.start, cols.stop - cols.start
