"""Handwriting data sets to train on: parse a SOURCE, list it, split it, featurise it in batches.

A SOURCE is ``digits`` (scikit-learn's), ``history`` (the app's labelled
drawings: read by the app, see `memory_source`), ``folder:PATH``,
``idx:IMAGES,LABELS`` or ``csv:PATH`` (see `dataset_files`). A source is
listed without decoding its images; they are decoded a batch at a time,
so a 60,000-image source never sits in memory as ink. Bad files and rows are
skipped as `Problem`s that name them; only a source that cannot be used at
all (a malformed SOURCE, a missing path) or a data set with nothing left
raises `DatasetError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits

from recognizer.ml import dataset_files
from recognizer.ml.dataset_files import FileProblem, Listing, Problem

KINDS = ("digits", "history", "folder", "idx", "csv")
SPEC_HELP = "use digits, history, folder:PATH, idx:IMAGES,LABELS or csv:PATH"
HELD_OUT = 0.1  # share of each imported source kept out of training
SPLIT_SEED = 0
BATCH_SIZE = 500  # images decoded at a time: 500 canvas-sized drawings are ~150 MB of ink
MAX_SIDE = 2048  # largest image side accepted from a folder (the API's default)
# Distorted copies help small sets, not large ones: augment up to about this many rows.
AUGMENTED_ROWS = 30_000

Progress = Callable[[int, int], None]


class DatasetError(ValueError):
    """A data set that cannot be used: a malformed SOURCE, a missing path, nothing to learn."""


@dataclass(frozen=True)
class SourceSpec:
    """A parsed SOURCE: its kind and its paths (none for ``digits`` and ``history``)."""

    kind: str
    paths: tuple[Path, ...] = ()

    def __str__(self) -> str:
        if not self.paths:
            return self.kind
        return f"{self.kind}:" + ",".join(str(path) for path in self.paths)


@dataclass
class Source:
    """A listed source: one label per item, the loader of the items' ink, and what was skipped."""

    spec: SourceSpec
    listing: Listing

    @property
    def labels(self) -> np.ndarray:
        return self.listing.labels

    @property
    def problems(self) -> list[Problem]:
        return self.listing.problems


@dataclass
class Features:
    """Feature rows of a source's items, their labels and indices, and the items skipped."""

    X: np.ndarray
    y: np.ndarray
    indices: np.ndarray
    problems: list[Problem]


def parse_source(text: str) -> SourceSpec:
    """Return the SourceSpec of a SOURCE string, or raise DatasetError saying what is wrong."""
    text = text.strip()
    kind, colon, rest = text.partition(":")
    if kind in ("digits", "history"):
        if colon:
            raise DatasetError(f"{text!r}: {kind} takes no path")
        return SourceSpec(kind)
    if kind not in KINDS or not colon:
        raise DatasetError(f"{text!r} is not a data set: {SPEC_HELP}")
    parts = [part.strip() for part in rest.split(",")] if kind == "idx" else [rest.strip()]
    if kind == "idx" and len(parts) != 2:
        raise DatasetError(f"{text!r}: idx takes two paths, IMAGES,LABELS")
    if not all(parts):
        raise DatasetError(f"{text!r}: a path is missing after {kind}:")
    return SourceSpec(kind, tuple(Path(part).expanduser() for part in parts))


def open_source(spec: SourceSpec, *, max_side: int = MAX_SIDE) -> Source:
    """Return the listed source; a file that is unusable as a whole becomes its one Problem.

    Raises DatasetError for a path that does not exist, and for ``history``,
    which only the app can read (it passes the drawings to `memory_source`).
    """
    for path in spec.paths:
        if not path.exists():
            raise DatasetError(f"{spec}: {path} does not exist")
        if path.is_dir() != (spec.kind == "folder"):
            raise DatasetError(f"{spec}: {path} is {'a' if path.is_dir() else 'no'} folder")
    readers = {
        "digits": dataset_files.digits_listing,
        "folder": lambda: dataset_files.read_folder(spec.paths[0], max_side=max_side),
        "idx": lambda: dataset_files.read_idx(*spec.paths, max_side=max_side),
        "csv": lambda: dataset_files.read_csv(spec.paths[0]),
    }
    if spec.kind not in readers:
        raise DatasetError(f"{spec}: read by the app, then given to memory_source()")
    try:
        return Source(spec, readers[spec.kind]())
    except (FileProblem, OSError) as error:
        problem = (
            error.problem if isinstance(error, FileProblem) else Problem(str(spec), str(error))
        )
        files = [{"path": str(path)} for path in spec.paths]
        return Source(spec, dataset_files.memory_listing([], [], files, [problem]))


def memory_source(
    spec: SourceSpec, images: Sequence[np.ndarray], labels: Sequence[int], files: list[dict]
) -> Source:
    """Return a source over ink images already in memory (the app's history, for one)."""
    if len(images) != len(labels):
        raise DatasetError(f"{spec}: {len(images)} images but {len(labels)} labels")
    return Source(spec, dataset_files.memory_listing(images, labels, files))


def suggested_factor(images: int, rows: int = AUGMENTED_ROWS) -> int:
    """Return how many distorted copies of each training image bring the set to about
    ``rows`` rows: 21 for load_digits' 1,347 training images, 5 for 5,000, none for 30,000+."""
    return max(0, round(rows / max(images, 1)) - 1)


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


def batches(
    source: Source, indices: np.ndarray | None = None, batch_size: int = BATCH_SIZE
) -> Iterator[tuple[list[int], list[np.ndarray], list[Problem]]]:
    """Yield (indices, ink images, problems) of the items asked for, ``batch_size`` at a time."""
    indices = np.arange(len(source.labels)) if indices is None else np.sort(indices)
    for start in range(0, len(indices), batch_size):
        kept, images, problems = [], [], []
        for index, loaded in source.listing.load(indices[start : start + batch_size]):
            if isinstance(loaded, Problem):
                problems.append(loaded)
            else:
                kept.append(index)
                images.append(loaded)
        yield kept, images, problems


def _featurise_batch(source: Source, indices: np.ndarray, transform: Callable) -> Features:
    """Return the features of one batch (in a worker: one BLAS thread each)."""
    with threadpool_limits(1):
        ((kept, images, problems),) = batches(source, indices, batch_size=len(indices))
        X = transform(images) if images else None
    # An augmenting transform returns several rows per image, an image's rows together.
    kept = np.repeat(np.asarray(kept, dtype=np.intp), len(X) // len(kept) if images else 0)
    return Features(X, source.labels[kept], kept, problems)


def featurise(
    source: Source,
    transform: Callable[[list[np.ndarray]], np.ndarray],
    indices: np.ndarray | None = None,
    *,
    batch_size: int = BATCH_SIZE,
    n_jobs: int | None = None,
    progress: Progress | None = None,
) -> Features:
    """Return the features (``transform`` of the ink) of the items asked for, by batches.

    Batches run in ``n_jobs`` processes; ``progress(done, total)`` counts items.
    Only the feature rows are kept, never the ink of more than a few batches.
    A ``transform`` may return k rows per image (an image and k - 1 distorted
    copies, one image's rows together): labels and indices are repeated to match.
    """
    indices = np.arange(len(source.labels)) if indices is None else np.sort(indices)
    chunks = [indices[start : start + batch_size] for start in range(0, len(indices), batch_size)]
    jobs = (delayed(_featurise_batch)(source, chunk, transform) for chunk in chunks)
    parts, done = [], 0
    for part, chunk in zip(
        Parallel(n_jobs=n_jobs, return_as="generator")(jobs), chunks, strict=True
    ):
        parts.append(part)
        done += len(chunk)
        if progress is not None:
            progress(done, len(indices))
    rows = [part.X for part in parts if part.X is not None]
    return Features(
        X=np.concatenate(rows) if rows else np.zeros((0, 0)),
        y=np.concatenate([part.y for part in parts]) if parts else np.zeros(0, dtype=np.int64),
        indices=np.concatenate([p.indices for p in parts]) if parts else np.zeros(0, np.intp),
        problems=[problem for part in parts for problem in part.problems],
    )


@dataclass
class Imported:
    """The training rows of every source, each source's held-out part, and what was skipped."""

    X: np.ndarray
    y: np.ndarray
    held_out: dict[str, Features]  # by source, as its SOURCE text
    provenance: list[dict]
    problems: list[Problem]


def import_sources(
    sources: Sequence[Source],
    transform: Callable[[list[np.ndarray]], np.ndarray],
    *,
    augment: Callable[[list[np.ndarray]], np.ndarray] | None = None,
    held_out: float = HELD_OUT,
    seed: int = SPLIT_SEED,
    n_jobs: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> Imported:
    """Return the features of each source's training part (through ``augment``, which
    may add distorted rows, if given) and of its held-out part (``transform`` only).

    ``progress(source, done, total)`` counts training images. Raises DatasetError
    when no source has a usable image.
    """
    rows, held, records, problems = [], {}, [], []
    for source in sources:
        training, held_indices = split_indices(source.labels, held_out, seed)
        name = str(source.spec)
        report = None if progress is None else partial(progress, name)
        train = featurise(source, augment or transform, training, n_jobs=n_jobs, progress=report)
        held[name] = featurise(source, transform, held_indices, n_jobs=n_jobs)
        skipped = train.problems + held[name].problems
        used = source.labels[np.unique(train.indices)]
        records.append(provenance(source, used, len(held[name].y), skipped))
        problems += source.problems + skipped
        if len(train.y):
            rows.append(train)
    require_data(sum(len(part.y) for part in rows), [source.spec for source in sources])
    return Imported(
        X=np.concatenate([part.X for part in rows]),
        y=np.concatenate([part.y for part in rows]),
        held_out=held,
        provenance=records,
        problems=problems,
    )


def per_digit(labels: np.ndarray) -> list[int]:
    """Return how many of ``labels`` are each digit, 0 to 9."""
    return np.bincount(np.asarray(labels, dtype=np.int64), minlength=10)[:10].tolist()


def provenance(
    source: Source, used: np.ndarray, held_out: int, problems: Sequence[Problem]
) -> dict:
    """Return what a model's metadata records of one source: files with their SHA-256,
    images used per digit (``used``: their labels), how many were held out and skipped."""
    skipped = source.problems + list(problems)
    return {
        "source": str(source.spec),
        "kind": source.spec.kind,
        "files": source.listing.files,
        "images": len(used),
        "per_digit": per_digit(used),
        "held_out": int(held_out),
        "skipped": sum(problem.count for problem in skipped),
    }


def require_data(total: int, specs: Sequence[SourceSpec]) -> None:
    """Raise DatasetError when the data set holds no usable image at all."""
    if total == 0:
        named = ", ".join(str(spec) for spec in specs) or "no source"
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
