"""Handwriting data sets to train on: parse a DATASET, list it, split it, describe it.

A DATASET is ``digits`` (scikit-learn's), ``history`` (the app's labelled
drawings: read by the app, see `memory_dataset`), ``folder:PATH``,
``idx:IMAGES,LABELS``, ``csv:PATH`` (see `dataset_files`) or ``openml:NAME``
(see `openml_dataset`). A data set is
listed without decoding its images (`featurising` decodes them a batch at a
time). Bad files and rows are skipped as `Problem`s that name them; only a
data set that cannot be used at all (a malformed DATASET, a missing path) or a
data set with nothing left raises `DatasetError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recognizer.ml import dataset_files, defaults, listings, openml_dataset
from recognizer.ml.listings import FileProblem, Listing, Problem
from recognizer.ml.progress import StageProgress

KINDS = ("digits", "history", "folder", "idx", "csv", "openml")
# Read from files or downloaded: held out and distorted by data size.
IMPORTED = ("folder", "idx", "csv", "openml")
SPEC_HELP = "use digits, history, folder:PATH, idx:IMAGES,LABELS, csv:PATH or openml:NAME"
HELD_OUT = 0.1  # share of each imported data set kept out of training
SPLIT_SEED = 0
# Distorted copies help small sets, not large ones: augment up to about this many rows
# (load_digits' with its default copies), with at most MAX_FACTOR copies of one image
# (past it, more copies of a tiny set add rows, not variety).
AUGMENTED_ROWS = 70_000
MAX_FACTOR = 50


class DatasetError(ValueError):
    """A data set that cannot be used: a malformed DATASET, a missing path, nothing to learn."""


@dataclass(frozen=True)
class DatasetSpec:
    """A parsed DATASET: its kind and its paths (none for ``digits`` and ``history``),
    or the name of an ``openml`` data set."""

    kind: str
    paths: tuple[Path, ...] = ()
    name: str = ""

    def __str__(self) -> str:
        if self.name:
            return f"{self.kind}:{self.name}"
        if not self.paths:
            return self.kind
        return f"{self.kind}:" + ",".join(str(path) for path in self.paths)

    @property
    def imported(self) -> bool:
        """Return whether the data set is read from files (not load_digits nor the history)."""
        return self.kind in IMPORTED


@dataclass
class Dataset:
    """A listed data set: one label per item, the loader of the items' ink, and what was skipped."""

    spec: DatasetSpec
    listing: Listing

    @property
    def name(self) -> str:
        return str(self.spec)

    @property
    def labels(self) -> np.ndarray:
        return self.listing.labels

    @property
    def problems(self) -> list[Problem]:
        return self.listing.problems


def parse_dataset(text: str) -> DatasetSpec:
    """Return the DatasetSpec of a DATASET string, or raise DatasetError saying what is wrong."""
    text = text.strip()
    kind, colon, rest = text.partition(":")
    if kind in ("digits", "history"):
        if colon:
            raise DatasetError(f"{text!r}: {kind} takes no path")
        return DatasetSpec(kind)
    if kind not in KINDS or not colon:
        raise DatasetError(f"{text!r} is not a data set: {SPEC_HELP}")
    if kind == "openml":
        if not rest.strip():
            raise DatasetError(f"{text!r}: a data set name is missing after openml:")
        return DatasetSpec(kind, name=rest.strip())
    parts = [part.strip() for part in rest.split(",")] if kind == "idx" else [rest.strip()]
    if kind == "idx" and len(parts) != 2:
        raise DatasetError(f"{text!r}: idx takes two paths, IMAGES,LABELS")
    if not all(parts):
        raise DatasetError(f"{text!r}: a path is missing after {kind}:")
    return DatasetSpec(kind, tuple(Path(part).expanduser() for part in parts))


def parse_datasets(texts: Sequence[str]) -> list[DatasetSpec]:
    """Return the DatasetSpecs of several DATASET strings, refusing one given twice."""
    specs = [parse_dataset(text) for text in texts]
    for at, spec in enumerate(specs):
        if spec in specs[:at]:
            raise DatasetError(f"{spec} is given twice")
    return specs


def open_dataset(
    spec: DatasetSpec,
    *,
    max_side: int = defaults.MAX_IMAGE_SIDE,
    progress: StageProgress | None = None,
    data_home: Path | None = None,
) -> Dataset:
    """Return the listed data set; a file that is unusable as a whole becomes its one Problem.

    Raises DatasetError for a path that does not exist, an OpenML data set that
    cannot be fetched, and for ``history``, which only the app can read (it
    passes the drawings to `memory_dataset`). ``progress(done, total)`` follows
    the slow part of listing a folder; ``data_home`` is OpenML's cache folder.
    """
    for path in spec.paths:
        if not path.exists():
            raise DatasetError(f"{spec}: {path} does not exist")
        if path.is_dir() != (spec.kind == "folder"):
            raise DatasetError(f"{spec}: {path} is {'a' if path.is_dir() else 'no'} folder")
    readers = {
        "digits": listings.digits_listing,
        "folder": lambda: dataset_files.read_folder(
            spec.paths[0], max_side=max_side, progress=progress
        ),
        "idx": lambda: dataset_files.read_idx(*spec.paths, max_side=max_side),
        "csv": lambda: dataset_files.read_csv(spec.paths[0]),
        "openml": lambda: openml_dataset.read_openml(spec.name, data_home=data_home),
    }
    if spec.kind not in readers:
        raise DatasetError(f"{spec}: read by the app, then given to memory_dataset()")
    if spec.kind == "openml" and data_home is None:
        raise DatasetError(f"{spec}: no cache folder given for OpenML data sets")
    try:
        return Dataset(spec, readers[spec.kind]())
    except openml_dataset.OpenMLError as error:
        raise DatasetError(str(error)) from None
    except (FileProblem, OSError) as error:
        problem = (
            error.problem if isinstance(error, FileProblem) else Problem(str(spec), str(error))
        )
        files = [{"path": str(path)} for path in spec.paths]
        return Dataset(spec, listings.memory_listing([], [], files, [problem]))


def memory_dataset(
    spec: DatasetSpec,
    images: Sequence[np.ndarray],
    labels: Sequence[int],
    files: list[dict],
    held_out: np.ndarray | None = None,
    problems: Sequence[Problem] = (),
) -> Dataset:
    """Return a data set over ink images already in memory (the app's history, for one);
    ``held_out``, if given, are the indices of the items never to train on, ``problems``
    what could not be read."""
    if len(images) != len(labels):
        raise DatasetError(f"{spec}: {len(images)} images but {len(labels)} labels")
    listing = listings.memory_listing(images, labels, files, problems, held_out=held_out)
    return Dataset(spec, listing)


def suggested_factor(images: int, rows: int = AUGMENTED_ROWS) -> int:
    """Return how many distorted copies of each training image bring the set to about
    ``rows`` rows: 13 for 5,000 images, 1 for 30,000, none for 60,000, and never
    more than MAX_FACTOR (load_digits' 1,347 training images would get 50)."""
    return min(MAX_FACTOR, max(0, round(rows / max(images, 1)) - 1))


def split_indices(
    labels: np.ndarray, held_out: float = HELD_OUT, seed: int = SPLIT_SEED
) -> tuple[np.ndarray, np.ndarray]:
    """Return (training, held-out) item indices: disjoint, together all items, sorted.

    Stratified: ``held_out`` of each digit's items (rounded; a digit with a
    single item keeps it for training), drawn by a generator seeded with
    (seed, digit) so the split does not depend on the other digits.
    """
    if not 0 <= held_out < 1:
        raise ValueError(f"held_out must be in [0, 1), not {held_out}")
    labels = np.asarray(labels)
    held = []
    for digit in np.unique(labels):
        members = np.flatnonzero(labels == digit)
        count = round(held_out * len(members)) if len(members) > 1 else 0
        rng = np.random.default_rng([seed, int(digit)])
        held.append(rng.permutation(members)[:count])
    held_out_indices = np.sort(np.concatenate(held)) if held else np.zeros(0, dtype=np.intp)
    training = np.setdiff1d(np.arange(len(labels)), held_out_indices)
    return training, held_out_indices


def split(
    dataset: Dataset, held_out: float = HELD_OUT, seed: int = SPLIT_SEED
) -> tuple[np.ndarray, np.ndarray]:
    """Return a data set's (training, held-out) item indices: its own fixed held-out part
    (load_digits' test quarter, every fifth labelled drawing) or ``held_out`` of each
    digit's items (`split_indices`)."""
    fixed = dataset.listing.held_out
    if fixed is None:
        return split_indices(dataset.labels, held_out, seed)
    fixed = np.sort(np.asarray(fixed, dtype=np.intp))
    return np.setdiff1d(np.arange(len(dataset.labels)), fixed), fixed


def per_digit(labels: np.ndarray) -> list[int]:
    """Return how many of ``labels`` are each digit, 0 to 9."""
    return np.bincount(np.asarray(labels, dtype=np.int64), minlength=10)[:10].tolist()


def provenance(
    dataset: Dataset, used: np.ndarray, held_out: int, problems: Sequence[Problem]
) -> dict:
    """Return what a model's metadata records of one data set: files with their SHA-256,
    images used per digit (``used``: their labels), how many were held out and skipped."""
    skipped = dataset.problems + list(problems)
    return {
        "source": str(dataset.spec),
        "kind": dataset.spec.kind,
        "files": dataset.listing.files,
        "images": len(used),
        "per_digit": per_digit(used),
        "held_out": int(held_out),
        "skipped": sum(problem.count for problem in skipped),
    }


def require_data(total: int, specs: Sequence[DatasetSpec]) -> None:
    """Raise DatasetError when the data set holds no usable image at all."""
    if total == 0:
        named = ", ".join(str(spec) for spec in specs) or "no data set"
        raise DatasetError(f"the data set is empty: no usable image in {named}")


def describe_problems(problems: Sequence[Problem], limit: int = 10) -> list[str]:
    """Return lines telling how many items were skipped, the first ``limit`` with their reasons."""
    total = sum(problem.count for problem in problems)
    if not total:
        return []
    lines = [f"{total} skipped:"] + [f"  {problem}" for problem in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"  ... and {len(problems) - limit} more")
    return lines
