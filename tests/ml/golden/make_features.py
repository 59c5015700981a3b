"""Write tests/ml/golden/features.npz: a fixed set of ink images and the features the
preprocessing gives them. Run it only when a change to the features is meant
(say which and why in the commit): tests/test_golden_features.py holds the
preprocessing to this file.

    .venv/bin/python -m tests.ml.golden.make_features
"""

from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits

from recognizer.ml.decoding import grey_drawing
from recognizer.ml.preprocessing import DigitFeatures
from recognizer.ml.synthetic import synthetic_digit_sets
from tests.support.canvases import (
    FOUR,
    ONE,
    SEVEN,
    THREE,
    TWO,
    ZERO,
    canvas_image,
    decode_png,
    ink_shape,
    png_bytes,
)

PATH = Path(__file__).with_name("features.npz")
GRIDS = (8, 16)


def golden_inputs() -> dict[str, np.ndarray]:
    """Return the fixed inputs by name: ink images (0..1) of many sizes and kinds."""
    digits = load_digits()
    inputs = {f"load_digits {i}": digits.images[i] / 16.0 for i in range(0, 1797, 9)}
    pngs, labels = synthetic_digit_sets(3, seed=22, backgrounds=("transparent",))
    for i, (png, label) in enumerate(zip(pngs["transparent"], labels, strict=True)):
        inputs[f"synthetic canvas {i} ({label})"] = decode_png(png)
    for name, strokes in {"0": ZERO, "1": ONE, "2": TWO, "3": THREE, "4": FOUR, "7": SEVEN}.items():
        for pen in (4, 10, 18, 30):
            inputs[f"canvas {name} pen {pen}"] = decode_png(
                png_bytes(canvas_image(strokes, pen_width=pen))
            )
    for scale in (0.3, 0.6, 1.0):
        inputs[f"loop scale {scale}"] = ink_shape("loop", scale=scale)
        inputs[f"bar scale {scale}"] = ink_shape("bar", scale=scale)
    for size in (280, 560, 1000):
        big = canvas_image(TWO, pen_width=18).resize((size, size), Image.Resampling.LANCZOS)
        inputs[f"canvas 2 at {size}px"] = decode_png(png_bytes(big))
    # An imported-style digit: 28x28, light ink on black, decoded as uploads are.
    pixels = np.rint(digits.images[3] * (255 / 16)).astype(np.uint8)
    mnist_like = Image.new("L", (28, 28), 0)
    mnist_like.paste(
        Image.fromarray(pixels, "L").resize((20, 20), Image.Resampling.BILINEAR), (4, 4)
    )
    inputs["imported 28x28 white on black"] = grey_drawing(mnist_like).ink
    speck = np.zeros((280, 280), dtype=np.float32)
    speck[130:136, 140:146] = 1.0
    inputs["speck"] = speck
    dotted = ink_shape("loop")
    dotted[10:16, 250:256] = 1.0
    inputs["loop with a stray dot"] = dotted
    inputs["blank"] = np.zeros((280, 280), dtype=np.float32)
    return {name: np.asarray(ink, dtype=np.float32) for name, ink in inputs.items()}


def main() -> None:
    inputs = golden_inputs()
    names = list(inputs)
    arrays = {
        f"input {i}": np.rint(inputs[name] * 65535).astype(np.uint16)
        for i, name in enumerate(names)
    }
    for grid in GRIDS:
        arrays[f"features {grid}"] = DigitFeatures(grid=grid).transform(
            [arrays[f"input {i}"] / 65535.0 for i in range(len(names))]
        )
    np.savez_compressed(PATH, names=np.array(names), **arrays)
    print(f"{len(names)} inputs written to {PATH} ({PATH.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
