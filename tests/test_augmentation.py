import numpy as np
from sklearn.datasets import load_digits

from recognizer.ml.augmentation import augment, augmented_features
from recognizer.ml.preprocessing import DigitFeatures

IMAGES = load_digits().images[:12] / 16.0
LABELS = load_digits().target[:12]


def test_same_seed_same_images():
    a = augment(IMAGES, factor=3, seed=7)
    b = augment(IMAGES, factor=3, seed=7)
    assert len(a) == 12 * 4
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_other_seed_other_images():
    a = augment(IMAGES[:1], factor=2, seed=1)
    b = augment(IMAGES[:1], factor=2, seed=2)
    assert np.array_equal(a[0], b[0])  # the undistorted original
    assert not np.array_equal(a[1], b[1])


def test_result_does_not_depend_on_chunking():
    f = DigitFeatures()
    X1, y1 = augmented_features(IMAGES, LABELS, f, factor=2, seed=3, n_jobs=1, chunk_size=5)
    X2, y2 = augmented_features(IMAGES, LABELS, f, factor=2, seed=3, n_jobs=1, chunk_size=12)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert X1.shape == (36, 64)
    assert list(y1[:3]) == [LABELS[0]] * 3


def test_progress_is_reported_up_to_the_total():
    calls = []
    augmented_features(
        IMAGES,
        LABELS,
        DigitFeatures(),
        factor=1,
        n_jobs=1,
        chunk_size=5,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(5, 12), (10, 12), (12, 12)]


def test_distorted_images_are_valid_ink():
    for image in augment(IMAGES[:3], factor=4, seed=0):
        assert image.min() >= 0 and image.max() <= 1 and image.max() > 0.5
