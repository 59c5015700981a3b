import numpy as np
import pytest
from sklearn.datasets import load_digits

from recognizer.ml.preprocessing import DigitFeatures, block_counts, crop_to_ink


def features_of(ink: np.ndarray) -> np.ndarray:
    return DigitFeatures().transform([ink])[0].reshape(8, 8)


def vertical_bar(top: int, left: int, height: int = 200, width: int = 20) -> np.ndarray:
    ink = np.zeros((280, 280), dtype=np.float32)
    ink[top : top + height, left : left + width] = 1.0
    return ink


def test_output_has_the_shape_and_range_of_load_digits():
    features = DigitFeatures().transform([vertical_bar(40, 130), np.eye(280, dtype=np.float32)])
    assert features.shape == (2, 64)
    assert features.min() >= 0
    assert features.max() <= 16


def test_a_vertical_bar_fills_the_middle_columns_from_top_to_bottom():
    grid = features_of(vertical_bar(40, 130))
    assert (grid[:, 3:5].sum(axis=1) > 0).all()  # ink in every row
    assert grid[:, :2].sum() == 0
    assert grid[:, 6:].sum() == 0


def test_position_on_the_canvas_does_not_matter():
    assert np.array_equal(
        features_of(vertical_bar(10, 20)), features_of(vertical_bar(70, 240, height=200))
    )


def test_size_on_the_canvas_does_not_matter_much():
    large = features_of(vertical_bar(20, 120, height=240, width=24))
    small = features_of(vertical_bar(100, 50, height=80, width=8))
    assert np.abs(large - small).max() <= 4


def test_a_blank_input_gives_zeros():
    assert not DigitFeatures().transform([np.zeros((280, 280), dtype=np.float32)]).any()


def test_faint_specks_below_the_crop_level_are_ignored():
    ink = vertical_bar(40, 130)
    ink[270, 5] = 0.02  # far away, fainter than any anti-aliased edge
    assert np.array_equal(features_of(ink), features_of(vertical_bar(40, 130)))


def test_training_images_keep_their_look():
    """An 8x8 training digit, sent through the pipeline, stays close to itself."""
    digits = load_digits()
    originals = digits.data[:200]
    rebuilt = DigitFeatures().transform(list(digits.images[:200] / 16.0))
    correlation = [np.corrcoef(a, b)[0, 1] for a, b in zip(originals, rebuilt, strict=True)]
    assert np.median(correlation) > 0.8


def test_crop_to_ink_finds_the_bounding_box():
    ink = np.zeros((10, 10), dtype=np.float32)
    ink[2:5, 3:8] = 1
    assert crop_to_ink(ink, 0.5).shape == (3, 5)
    assert crop_to_ink(np.zeros((4, 4)), 0.5) is None


def test_block_counts_count_set_pixels_per_block():
    bitmap = np.zeros((8, 8), dtype=bool)
    bitmap[:4, :4] = True
    bitmap[4, 4] = True
    assert block_counts(bitmap, 4).tolist() == [[16, 0], [0, 1]]


def test_the_transformer_follows_scikit_learn_conventions():
    transformer = DigitFeatures(threshold=0.4)
    assert transformer.get_params() == {"crop_level": 0.05, "threshold": 0.4}
    assert transformer.fit([vertical_bar(0, 0)]) is transformer
    with pytest.raises(ValueError):
        transformer.set_params(no_such_parameter=1)
