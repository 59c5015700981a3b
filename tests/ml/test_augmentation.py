import numpy as np
import pytest
from sklearn.datasets import load_digits

from recognizer.ml.augmentation import (
    PADDED_SIDE,
    RENDER,
    Augmenter,
    place_on_padded,
    render_large,
)
from recognizer.ml.preprocessing import DigitFeatures

IMAGES = list(load_digits().images[:12] / 16.0)


def mnist_like(height: int = 20, width: int = 12, side: int = 28) -> np.ndarray:
    """A bar of ink ``height`` x ``width`` pixels in a ``side`` square, off centre."""
    ink = np.zeros((side, side), dtype=np.float32)
    ink[3 : 3 + height, 2 : 2 + width] = 1.0
    return ink


def test_same_seed_same_rows_whatever_the_batches():
    augment = Augmenter(DigitFeatures(), copies=3, seed=7, redraw=render_large)
    whole = augment(IMAGES)
    in_two = np.concatenate([augment(IMAGES[:5]), augment(IMAGES[5:])])
    assert whole.shape == (12 * 4, 64)
    np.testing.assert_array_equal(whole, in_two)


def test_other_seed_other_copies_same_original():
    first = Augmenter(DigitFeatures(), copies=2, seed=1)(IMAGES[:1])
    second = Augmenter(DigitFeatures(), copies=2, seed=2)(IMAGES[:1])
    np.testing.assert_array_equal(first[0], second[0])  # the undistorted original
    assert not np.array_equal(first[1], second[1])


def test_load_digits_originals_are_their_large_redraw():
    features = DigitFeatures()
    rows = Augmenter(features, copies=0, redraw=render_large, redraw_original=True)(IMAGES[:2])
    np.testing.assert_array_equal(rows, features.transform([render_large(i) for i in IMAGES[:2]]))


def test_imported_originals_are_preprocessed_as_they_come():
    features = DigitFeatures()
    ink = mnist_like()
    rows = Augmenter(features, copies=2)([ink])
    np.testing.assert_array_equal(rows[0], features.transform([ink])[0])
    assert Augmenter(features, copies=2).rows_per_image == 3


def test_drawings_can_be_repeated_instead_of_distorted():
    features = DigitFeatures()
    rows = Augmenter(features, repeat=3)(IMAGES[:2])
    assert rows.shape == (6, 64)
    np.testing.assert_array_equal(rows[:3], np.repeat(features.transform(IMAGES[:1]), 3, axis=0))


@pytest.mark.parametrize(("height", "width"), [(20, 12), (8, 20), (20, 3)])
def test_an_imported_image_is_placed_as_tall_as_a_redrawn_load_digits_image(height, width):
    canvas = place_on_padded(mnist_like(height, width))
    assert canvas.shape == (PADDED_SIDE, PADDED_SIDE)
    rows = np.flatnonzero((canvas > 0.5).any(axis=1))
    cols = np.flatnonzero((canvas > 0.5).any(axis=0))
    longer = max(rows[-1] + 1 - rows[0], cols[-1] + 1 - cols[0])
    assert abs(longer - RENDER) <= 2
    # Centred: as much paper on either side.
    assert abs(rows[0] - (PADDED_SIDE - 1 - rows[-1])) <= 1
    assert abs(cols[0] - (PADDED_SIDE - 1 - cols[-1])) <= 1


def test_a_large_drawing_is_brought_down_to_the_same_size():
    canvas = place_on_padded(mnist_like(200, 120, side=280))
    rows = np.flatnonzero((canvas > 0.5).any(axis=1))
    assert abs(rows[-1] + 1 - rows[0] - RENDER) <= 2


def test_a_blank_image_gives_a_blank_square():
    assert not place_on_padded(np.zeros((28, 28))).any()


def test_distorted_images_are_valid_ink():
    augment = Augmenter(DigitFeatures(), copies=4)
    for image in augment.images(mnist_like()):
        assert image.min() >= 0 and image.max() <= 1 and image.max() > 0.5
