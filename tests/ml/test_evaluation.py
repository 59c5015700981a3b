import io

import numpy as np
import pytest
from PIL import Image

from recognizer.ml.calibration import calibration
from recognizer.ml.canvas import canvas_png, enlarge
from recognizer.ml.contact_sheets import contact_sheet
from recognizer.ml.evaluation import drawn_large_set, evaluate
from recognizer.ml.score_tables import format_scores
from tests.support.canvases import decode_png


def test_canvas_pngs_decode_back_to_the_same_ink():
    ink = np.zeros((280, 280), dtype=np.float32)
    ink[100:180, 128:152] = 1.0
    # Decoding keeps 4x4 block means of a 280x280 canvas; the bar's edges are
    # multiples of 4, so those are every fourth pixel.
    for background in ("white", "transparent"):
        assert np.abs(decode_png(canvas_png(ink, background)) - ink[::4, ::4]).max() < 1e-6


def test_small_images_are_enlarged_with_hard_or_soft_edges():
    small = np.eye(8)
    assert enlarge(small, "nearest").shape == (280, 280)
    assert set(np.unique(enlarge(small, "nearest"))) <= {0.0, 1.0}
    assert len(np.unique(enlarge(small, "bilinear"))) > 2


def test_calibration_error_of_perfect_and_overconfident_guesses():
    labels = np.array([0, 1, 2, 3])
    ece, _ = calibration(np.eye(10)[labels], labels)
    assert ece == 0.0
    ece, table = calibration(np.eye(10)[[0, 1, 2, 9]], labels)
    assert ece == pytest.approx(0.25) and table[-1]["count"] == 4


@pytest.fixture(scope="module")
def drawn():
    return drawn_large_set("bilinear", decode_png)


def test_the_test_split_drawn_large_is_evaluated(training_result, drawn):
    images, labels = drawn
    assert len(images) == 450 and images[0].shape == (70, 70)  # 280x280, decoded
    scores = evaluate(training_result.pipeline, images[:100], labels[:100])
    assert scores.accuracy > 0.9 and scores.n == 100
    assert np.array(scores.confusion).sum() == 100
    assert np.trace(scores.confusion) == round(scores.accuracy * 100)
    assert len(scores.per_class) == 10
    report = format_scores({"drawn": scores}, detail=True)
    assert "drawn" in report and "predicted as" in report
    assert "shown" in report and "right" in report
    assert len(report.splitlines()) == 1 + 1 + 2 + 2 + 1 + 10 + 1 + len(scores.reliability)


def test_the_contact_sheet_is_a_png_with_a_row_per_drawing(training_result, drawn):
    images, labels = drawn
    sheet = Image.open(io.BytesIO(contact_sheet(training_result.pipeline, images[:3], labels[:3])))
    assert sheet.format == "PNG"
    assert 3 * 80 < sheet.height < 4 * 90
