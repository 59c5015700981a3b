"""Small handwriting data sets on disk, made by the tests from load_digits (nothing downloaded)."""

from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits

DIGITS = load_digits()


def digit_folder(root: Path, *, per_digit: int, side: int = 84, start: int = 0) -> Path:
    """Write ``per_digit`` load_digits images of each digit as MNIST-style PNGs (light ink
    on black, ``side`` pixels square) in ``root/<digit>/``; return ``root``."""
    for digit in range(10):
        folder = root / str(digit)
        folder.mkdir(parents=True, exist_ok=True)
        chosen = np.flatnonzero(DIGITS.target == digit)[start : start + per_digit]
        for index in chosen:
            pixels = np.rint(DIGITS.images[index] * (255 / 16)).astype(np.uint8)
            large = Image.fromarray(pixels, "L").resize((side, side), Image.Resampling.BILINEAR)
            padded = Image.new("L", (side + side // 3, side + side // 3), 0)
            padded.paste(large, (side // 6, side // 6))
            padded.save(folder / f"{index}.png")
    return root
