import io

import numpy as np
from PIL import Image

from recognizer.ml.synthetic import synthetic_digit_sets
from tests.support.canvases import decode_png


def test_a_fixed_seed_gives_the_same_drawings():
    a, labels_a = synthetic_digit_sets(2, seed=5)
    b, labels_b = synthetic_digit_sets(2, seed=5)
    c, _ = synthetic_digit_sets(2, seed=6)
    assert a == b and np.array_equal(labels_a, labels_b)
    assert a["white"] != c["white"]


def test_every_digit_is_drawn_equally_often():
    _, labels = synthetic_digit_sets(3, backgrounds=("white",))
    assert np.bincount(labels).tolist() == [3] * 10


def test_drawings_look_like_canvas_exports_on_both_backgrounds():
    sets, _ = synthetic_digit_sets(1, seed=1)
    for clear, white in zip(sets["transparent"], sets["white"], strict=True):
        clear_image, white_image = Image.open(io.BytesIO(clear)), Image.open(io.BytesIO(white))
        assert clear_image.mode == white_image.mode == "RGBA"
        assert clear_image.size == (280, 280)
        assert np.asarray(clear_image)[..., 3].min() == 0  # transparent paper
        assert np.asarray(white_image)[..., 3].min() == 255  # opaque white paper
        ink = decode_png(clear)
        assert ink.max() > 0.7 and 0.005 < ink.mean() < 0.2  # anti-aliased dark strokes
        assert np.abs(ink - decode_png(white)).max() <= 2 / 255  # the same drawing
