"""OpenML data sets (``openml:NAME``), fetched by scikit-learn's `fetch_openml` and
kept in a cache folder: downloaded once, read offline after.

Rows are square greyscale images of either polarity (MNIST's are light ink on
black), judged by `decoding.grey_drawing` exactly as uploads are. A data set
with a standard test part keeps it out of training: ``mnist_784`` trains on
its first 60,000 rows (MNIST's training set) and holds out the last 10,000
(its test set, written by other people), so that figures on it stay honest.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from pathlib import Path
from urllib.error import URLError

import numpy as np
import sklearn
from PIL import Image
from sklearn.datasets import fetch_openml

from recognizer.ml.decoding import DecodingError, grey_drawing
from recognizer.ml.listings import Listing, Loaded, Problem

# Data sets whose last rows are their standard test part: name -> training rows.
STANDARD_TRAINING_ROWS = {"mnist_784": 60_000}


class OpenMLError(ValueError):
    """An OpenML data set that cannot be fetched or is not of digit images."""


def read_openml(name: str, *, data_home: Path) -> Listing:
    """Return the listing of the OpenML data set ``name`` (its rows as ink images),
    fetched into or read from the cache in ``data_home``."""
    try:
        bunch = fetch_openml(name, as_frame=False, data_home=str(data_home), parser="liac-arff")
    except (URLError, OSError) as error:
        raise OpenMLError(
            f"openml:{name} is not in the cache ({data_home}) and could not be "
            f"downloaded from openml.org: {error}"
        ) from None
    except ValueError as error:  # fetch_openml's word for an unknown or unusable data set
        raise OpenMLError(f"openml:{name}: {error}") from None
    side = math.isqrt(bunch.data.shape[1])
    if side * side != bunch.data.shape[1]:
        raise OpenMLError(
            f"openml:{name} has {bunch.data.shape[1]} columns: not the pixels of square images"
        )
    pixels = np.clip(np.rint(np.asarray(bunch.data, dtype=np.float64)), 0, 255).astype(np.uint8)
    pixels = pixels.reshape(-1, side, side)
    try:
        labels = np.asarray(bunch.target).astype(np.int64)
    except ValueError:
        raise OpenMLError(f"openml:{name}'s targets are not digits 0-9") from None
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise OpenMLError(f"openml:{name}'s targets are not digits 0-9")
    training_rows = STANDARD_TRAINING_ROWS.get(name)
    held_out = np.arange(training_rows, len(labels)) if training_rows else None
    record = {
        "path": f"openml:{name}",
        "data_id": int(bunch.details["id"]),
        "version": int(bunch.details["version"]),
        "fetched_by": f"scikit-learn {sklearn.__version__}",
        "sha256": hashlib.sha256(pixels.tobytes()).hexdigest(),
    }
    return Listing(labels, _loader(name, pixels), [], [record], held_out, in_memory=True)


def _loader(name: str, pixels: np.ndarray):
    """Return the loader of the rows' ink (or the problem that makes a row unusable)."""

    def load(indices: np.ndarray) -> Iterator[Loaded]:
        for index in indices:
            try:
                ink = grey_drawing(Image.fromarray(pixels[index], "L")).ink
            except DecodingError as error:
                yield int(index), Problem(f"openml:{name} row {index}", str(error))
            else:
                yield int(index), ink

    return load
