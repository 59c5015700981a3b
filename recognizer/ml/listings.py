"""What a listed data set is: one label per item, the loader of the items' ink, what was skipped.

A listing is made without decoding a single image (see `dataset_files` for
the readers of files on disk); its loader decodes the items asked for, in
order. Images already in memory (load_digits, the app's labelled drawings)
are listings too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sklearn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

# load_digits' own test part: the quarter every model is judged on (random_state=42).
DIGITS_TEST_SHARE = 0.25
DIGITS_SPLIT_SEED = 42


@dataclass(frozen=True)
class Problem:
    """Something skipped: ``where`` names the file (and row or index), ``reason`` says why."""

    where: str
    reason: str
    count: int = 1  # items it stands for (a truncated file loses many at once)

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


class FileProblem(Exception):
    """A whole file is unusable; carries the Problem to report."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


Loaded = tuple[int, "np.ndarray | Problem"]
Loader = Callable[[np.ndarray], Iterator[Loaded]]


@dataclass
class Listing:
    """A data set's items before decoding: one label each, and the loader of their ink.

    ``held_out`` fixes the items never trained on, for a data set that has its
    own test part (None: a seeded share is held out). ``in_memory`` listings
    hold their images already: a batch is loaded where it is asked for,
    rather than the whole listing being shipped to a worker process.
    """

    labels: np.ndarray
    load: Loader
    problems: list[Problem] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)
    held_out: np.ndarray | None = None
    in_memory: bool = False
    # Set where the code alone fixes the items and their ink (load_digits): what is
    # made of them may be kept and reused in this process (`featurising`).
    content_key: str | None = None


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def file_record(path: Path) -> dict:
    """Return the provenance of one file: its path, size and SHA-256."""
    return {"path": str(path), "bytes": path.stat().st_size, "sha256": sha256_file(path)}


def memory_listing(
    images: Sequence[np.ndarray],
    labels: Sequence[int],
    files: list[dict],
    problems: Sequence[Problem] = (),
    held_out: np.ndarray | None = None,
) -> Listing:
    """Return the listing of ink images already in memory."""

    def load(indices: np.ndarray) -> Iterator[Loaded]:
        return ((int(i), np.asarray(images[i], dtype=np.float32)) for i in indices)

    return Listing(
        np.asarray(labels, dtype=np.int64), load, list(problems), files, held_out, in_memory=True
    )


def digits_test_indices(count: int) -> np.ndarray:
    """Return the indices of load_digits' test quarter, sorted: the items
    `train_test_split(..., test_size=0.25, random_state=42)` puts in its test part."""
    _, test = train_test_split(
        np.arange(count), test_size=DIGITS_TEST_SHARE, random_state=DIGITS_SPLIT_SEED
    )
    return np.sort(test)


def digits_listing() -> Listing:
    """Return the listing of scikit-learn's load_digits as 8x8 ink images (0..1), its
    test quarter held out."""
    digits = load_digits()
    record = {
        "path": "sklearn.datasets.load_digits",
        "version": sklearn.__version__,
        "sha256": hashlib.sha256(digits.images.astype(np.uint8).tobytes()).hexdigest(),
    }
    held_out = digits_test_indices(len(digits.target))
    listing = memory_listing(digits.images / 16.0, digits.target, [record], held_out=held_out)
    listing.content_key = f"load_digits:{record['sha256']}"
    return listing
