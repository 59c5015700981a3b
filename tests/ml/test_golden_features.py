"""The preprocessing's features of a fixed set of inputs, held to what was recorded.

tests/ml/golden/features.npz holds ink images (load_digits' 8x8 digits, canvas
drawings of several pens and sizes, an imported 28x28 digit, a speck, a blank)
and their features. A change that moves them is either a bug or a recipe
change, recorded by running `python -m tests.ml.golden.make_features` in the
same commit.
"""

import numpy as np
import pytest

from recognizer.ml.preprocessing import DigitFeatures
from tests.ml.golden.make_features import GRIDS, PATH

TOLERANCE = 1e-5  # of 16 per cell: float32 arithmetic done in another order


@pytest.fixture(scope="module")
def golden():
    with np.load(PATH) as stored:
        return {key: stored[key] for key in stored.files}


@pytest.mark.parametrize("grid", GRIDS)
def test_features_match_the_recorded_ones(golden, grid):
    names = list(golden["names"])
    inputs = [golden[f"input {i}"] / 65535.0 for i in range(len(names))]
    features = DigitFeatures(grid=grid).transform(inputs)
    differences = np.abs(features - golden[f"features {grid}"]).max(axis=1)
    moved = [
        f"{name}: {difference:.3g}"
        for name, difference in zip(names, differences, strict=True)
        if difference > TOLERANCE
    ]
    assert not moved, f"{len(moved)} of {len(names)} inputs changed: " + "; ".join(moved[:10])


def test_the_recorded_set_covers_every_kind_of_input(golden):
    names = " ".join(golden["names"])
    for kind in (
        "load_digits",
        "synthetic canvas",
        "pen 4",
        "pen 30",
        "1000px",
        "28x28",
        "speck",
        "blank",
    ):
        assert kind in names
