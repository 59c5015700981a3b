import numpy as np
import pytest
from PIL import Image
from sklearn.base import clone
from sklearn.datasets import load_digits

from recognizer.ml.preprocessing import DigitFeatures
from tests.support.canvases import (
    FOUR,
    SEVEN,
    TWO,
    ZERO,
    canvas_image,
    decode_png,
    ink_shape,
    png_bytes,
)


def grid(ink: np.ndarray, **params: object) -> np.ndarray:
    return DigitFeatures(**params).transform([ink])[0].reshape(8, 8)


def test_output_has_the_layout_and_range_of_load_digits():
    out = DigitFeatures().transform(load_digits().images[:20] / 16.0)
    assert out.shape == (20, 64)
    assert out.min() >= 0 and out.max() == 16  # full cells reach load_digits' maximum


def test_a_vertical_bar_is_ink_in_the_middle_columns_only():
    features = grid(ink_shape("bar"))
    assert features[:, 3:5].min() > 4  # ink in every row
    assert features[:, :2].max() == 0 and features[:, 6:].max() == 0  # narrow, not stretched


def test_blank_faint_tiny_and_broken_inputs_give_zeros():
    out = DigitFeatures().transform(
        [np.zeros((280, 280)), np.full((50, 30), 0.01), np.zeros((1, 1)), np.full((8, 8), np.nan)]
    )
    assert out.shape == (4, 64)
    assert not out.any()


def test_position_on_the_canvas_does_not_matter():
    centred, moved = DigitFeatures().transform(
        [ink_shape("loop"), ink_shape("loop", offset=(-60, 40))]
    )
    assert np.abs(centred - moved).max() <= 1.0


def test_a_digit_drawn_up_to_the_canvas_edge_is_read_as_one_with_room_around_it():
    at_the_edge = ink_shape("loop", offset=(-86, -50))
    assert at_the_edge[0].any() and at_the_edge[:, 0].any()  # touches the top and the left
    centred, cornered = DigitFeatures().transform([ink_shape("loop"), at_the_edge])
    # (as for any move by a few pixels, a stroke's edge may fall into the next cell)
    assert np.abs(centred - cornered).mean() < 0.75


def test_size_on_the_canvas_does_not_matter():
    large, small = DigitFeatures().transform([ink_shape("loop"), ink_shape("loop", scale=0.5)])
    assert np.abs(large - small).mean() < 0.5


def test_any_canvas_size_gives_the_same_digit():
    big = ink_shape("loop")
    a, b = DigitFeatures().transform([big, big[::4, ::4]])  # 280x280 and 70x70
    assert np.abs(a - b).mean() < 1.0


def test_light_ink_counts_like_dark_ink():
    dark, light = DigitFeatures().transform([ink_shape("loop"), ink_shape("loop") * 0.4])
    assert np.abs(dark - light).mean() < 0.5


def test_a_slanted_stroke_is_straightened():
    bar = ink_shape("bar")
    rows, cols = np.indices(bar.shape)
    slanted = np.zeros_like(bar)
    slanted[rows, np.clip(cols + ((rows - 140) * 0.4).astype(int), 0, 279)] = bar
    upright, straightened = DigitFeatures().transform([bar, slanted])
    assert np.abs(upright - straightened).mean() < 1.0
    leaning = DigitFeatures(deskew=False).transform([slanted])[0]
    assert np.abs(upright - leaning).mean() > 1.0


def test_a_stray_dot_far_from_the_digit_is_ignored():
    clean = ink_shape("loop")
    dotted = clean.copy()
    dotted[10:16, 250:256] = 1.0  # a slipped click
    a, b = DigitFeatures().transform([clean, dotted])
    assert np.abs(a - b).max() < 0.5


def test_hairline_strokes_are_found():
    thin = np.zeros((280, 280), dtype=np.float32)
    thin[40:240, 141] = 1.0  # one pixel wide: between the coarse grid's samples
    assert grid(thin)[:, 3:5].min() > 0


def test_thin_pens_are_widened_to_the_training_sets_strokes():
    thin, normal = DigitFeatures().transform([ink_shape("loop", pen=5), ink_shape("loop")])
    assert thin.sum() > 0.8 * normal.sum()  # about as much ink per cell
    unwidened = DigitFeatures(min_stroke=0).transform([ink_shape("loop", pen=5)])[0]
    assert thin.sum() > 1.4 * unwidened.sum()


def test_training_images_keep_their_look():
    """An 8x8 training digit sent through the preprocessing stays close to itself."""
    digits = load_digits()
    rebuilt = DigitFeatures().transform(list(digits.images[:200] / 16.0))
    correlation = [np.corrcoef(a, b)[0, 1] for a, b in zip(digits.data[:200], rebuilt, strict=True)]
    assert np.median(correlation) > 0.8


def test_the_transformer_follows_scikit_learn_conventions():
    transformer = DigitFeatures(threshold=0.4)
    assert transformer.fit([np.zeros((8, 8))]) is transformer
    assert clone(transformer).get_params()["threshold"] == 0.4
    with pytest.raises(ValueError):
        DigitFeatures().set_params(nonsense=1)


@pytest.mark.parametrize("size", [12, 16, 28])
def test_a_finer_grid_has_the_same_layout_and_range(size):
    out = DigitFeatures(grid=size).transform(load_digits().images[:20] / 16.0)
    assert out.shape == (20, size * size)
    assert out.min() >= 0 and out.max() == 16


def test_a_finer_grid_pooled_gives_the_default_grid():
    """Cells 2x2 of the 16x16 grid cover one cell of the 8x8 grid: same ink."""
    images = [ink_shape("loop"), ink_shape("bar"), *load_digits().images[:30] / 16.0]
    coarse = DigitFeatures().transform(images)
    fine = DigitFeatures(grid=16).transform(images).reshape(-1, 8, 2, 8, 2).mean(axis=(2, 4))
    assert np.abs(coarse - fine.reshape(-1, 64)).mean() < 0.3


def test_the_box_width_keeps_its_proportion_at_any_grid():
    features = DigitFeatures(grid=16).transform([ink_shape("loop")])[0].reshape(16, 16)
    # (a trace at the box edge, where the warp samples half a fine pixel, is not a column)
    columns = np.flatnonzero(features.sum(axis=0) > 4)
    assert 9 <= len(columns) <= 11  # 5 of 8 columns is 10 of 16


@pytest.mark.parametrize("size", [1, 0, 8.5, -3])
def test_a_grid_that_is_not_a_whole_number_of_cells_is_refused(size):
    with pytest.raises(ValueError, match="grid"):
        DigitFeatures(grid=size).transform([ink_shape("loop")])


@pytest.mark.parametrize("strokes", [TWO, FOUR, ZERO, SEVEN])
@pytest.mark.parametrize("pen", [6, 18])
def test_the_same_drawing_at_280_560_and_1000_pixels_has_the_same_features(strokes, pen):
    """Tolerance: on average a twentieth of a full cell (0.75 of 16), no cell off by a quarter."""
    drawing = canvas_image(strokes, pen_width=pen)
    inks = [
        decode_png(png_bytes(drawing.resize((side, side), Image.Resampling.LANCZOS)))
        for side in (280, 560, 1000)
    ]
    reference, *others = DigitFeatures().transform(inks)
    for other in others:
        assert np.abs(reference - other).mean() < 0.75
        assert np.abs(reference - other).max() < 4.0
