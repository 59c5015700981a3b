"""From listed data sets to feature rows: decoded a batch at a time, in parallel, never all at once.

`featurise` turns the items of one data set into feature rows through a
transform (the pipeline's preprocessing, or an augmenting one that also
makes distorted copies); `import_datasets` does it for the training part and
the held-out part of every data set, and records what each
gave. Only feature rows are kept: the ink of more than a few batches, or a
distorted image, never sits in memory.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import astuple, dataclass

import numpy as np
from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits

from recognizer.ml.augmentation import Augmenter
from recognizer.ml.datasets import (
    HELD_OUT,
    SPLIT_SEED,
    Dataset,
    provenance,
    require_data,
    split,
)
from recognizer.ml.listings import Problem
from recognizer.ml.preprocessing import RECIPE, DigitFeatures
from recognizer.ml.progress import Progress, StageProgress, stage_progress

BATCH_SIZE = 500  # images decoded at a time: 500 canvas-sized drawings are ~150 MB of ink
# Rows an augmenting batch makes: small enough that a few thousand distortions
# share the cores evenly, large enough that each batch's overhead is noise.
BATCH_ROWS = 2000

Transform = Callable[[list[np.ndarray]], np.ndarray]


@dataclass
class Features:
    """Feature rows of a data set's items, their labels and indices, and the items skipped."""

    X: np.ndarray
    y: np.ndarray
    indices: np.ndarray
    problems: list[Problem]


def batches(
    dataset: Dataset, indices: np.ndarray | None = None, batch_size: int = BATCH_SIZE
) -> Iterator[tuple[list[int], list[np.ndarray], list[Problem]]]:
    """Yield (indices, ink images, problems) of the items asked for, ``batch_size`` at a time."""
    indices = np.arange(len(dataset.labels)) if indices is None else np.sort(indices)
    for start in range(0, len(indices), batch_size):
        kept, images, problems = [], [], []
        for index, loaded in dataset.listing.load(indices[start : start + batch_size]):
            if isinstance(loaded, Problem):
                problems.append(loaded)
            else:
                kept.append(index)
                images.append(loaded)
        yield kept, images, problems


def batch_size_for(transform: Transform) -> int:
    """Return how many images a batch holds for ``transform``: fewer when it makes
    several rows per image (its ``rows_per_image``), at most BATCH_SIZE."""
    rows = max(int(getattr(transform, "rows_per_image", 1)), 1)
    return max(1, min(BATCH_SIZE, BATCH_ROWS // rows))


def _featurise_loaded(
    loaded: tuple[list[int], list[np.ndarray], list[Problem]],
    labels: np.ndarray,
    transform: Transform,
) -> Features:
    """Return the features of one loaded batch (``labels``: of its kept items)."""
    kept, images, problems = loaded
    # One BLAS thread per worker: the workers already use the cores.
    with threadpool_limits(1):
        X = transform(images) if images else None
    # An augmenting transform returns several rows per image, an image's rows together.
    repeat = len(X) // len(kept) if images else 0
    return Features(
        X, np.repeat(labels, repeat), np.repeat(np.asarray(kept, dtype=np.intp), repeat), problems
    )


def _featurise_batch(dataset: Dataset, indices: np.ndarray, transform: Transform) -> Features:
    """Return the features of one batch, loaded where this runs (a worker process)."""
    ((kept, images, problems),) = batches(dataset, indices, batch_size=len(indices))
    return _featurise_loaded((kept, images, problems), dataset.labels[kept], transform)


def _jobs(dataset: Dataset, chunks: list[np.ndarray], transform: Transform) -> Iterator:
    """Yield one job per chunk. Images already in memory are taken here, a batch at a
    time, so a worker receives its batch rather than a copy of the whole data set."""
    for chunk in chunks:
        if dataset.listing.in_memory:
            loaded = next(batches(dataset, chunk, batch_size=len(chunk)))
            yield delayed(_featurise_loaded)(loaded, dataset.labels[loaded[0]], transform)
        else:
            yield delayed(_featurise_batch)(dataset, chunk, transform)


# Features of data sets whose content the code fixes (load_digits), by what made them:
# a process that trains again (a worker, after new labels) reuses them instead of
# distorting and counting tens of thousands of images anew. Bounded by rows.
CACHED_ROWS = 250_000
_cache: OrderedDict[tuple, Features] = OrderedDict()
_cache_lock = threading.Lock()


def transform_key(transform: Transform) -> tuple | None:
    """Return what fixes a transform's output (None: not known, never cached): the
    features' recipe and parameters, and an Augmenter's distortions."""
    if isinstance(transform, Augmenter):
        features = features_key(transform.features)
        redraw = f"{transform.redraw.__module__}.{transform.redraw.__qualname__}"
        return (
            "augment",
            features,
            transform.copies,
            transform.seed,
            redraw,
            transform.redraw_original,
            transform.repeat,
            astuple(transform.distortion),
        )
    owner = getattr(transform, "__self__", None)
    if isinstance(owner, DigitFeatures) and transform.__name__ == "transform":
        return ("features", features_key(owner))
    return None


def features_key(features: DigitFeatures) -> tuple:
    """Return what fixes DigitFeatures' output: the recipe and its parameters."""
    return (RECIPE, type(features).__qualname__, tuple(sorted(features.get_params().items())))


def cache_key(dataset: Dataset, transform: Transform, indices: np.ndarray) -> tuple | None:
    """Return the key of these features in the cache, or None if they cannot be kept."""
    made_by = transform_key(transform)
    if dataset.listing.content_key is None or made_by is None:
        return None
    chosen = hashlib.sha256(np.ascontiguousarray(indices, dtype=np.int64).tobytes()).hexdigest()
    return (dataset.listing.content_key, made_by, chosen)


def kept(key: tuple | None) -> Features | None:
    """Return the features kept under ``key``, if any."""
    with _cache_lock:
        return _cache.get(key) if key else None


def remembered(key: tuple | None, make: Callable[[], Features]) -> Features:
    """Return the features kept under ``key``, or ``make()`` them and keep them (None:
    never kept)."""
    features = kept(key)
    if features is not None:
        return features
    features = make()
    if key is not None and len(features.y) <= CACHED_ROWS:
        with _cache_lock:
            _cache[key] = features
            while sum(len(old.y) for old in _cache.values()) > CACHED_ROWS:
                _cache.popitem(last=False)
    return features


def featurise(
    dataset: Dataset,
    transform: Transform,
    indices: np.ndarray | None = None,
    *,
    batch_size: int | None = None,
    n_jobs: int | None = None,
    progress: StageProgress | None = None,
) -> Features:
    """Return the features (``transform`` of the ink) of the items asked for, by batches.

    Batches (of `batch_size_for` the transform, unless given) run in
    ``n_jobs`` processes; ``progress(done, total)`` counts items. A
    ``transform`` may return k rows per image (an image and k - 1 distorted
    copies, one image's rows together): labels and indices are repeated to match.
    """
    indices = np.arange(len(dataset.labels)) if indices is None else np.sort(indices)
    key = cache_key(dataset, transform, indices)
    if (features := kept(key)) is not None:
        if progress is not None:
            progress(len(indices), len(indices))
        return features
    return remembered(
        key, lambda: _featurise(dataset, transform, indices, batch_size, n_jobs, progress)
    )


def _featurise(
    dataset: Dataset,
    transform: Transform,
    indices: np.ndarray,
    batch_size: int | None,
    n_jobs: int | None,
    progress: StageProgress | None,
) -> Features:
    """Return the features of the items asked for, computed by batches."""
    size = batch_size or batch_size_for(transform)
    chunks = [indices[start : start + size] for start in range(0, len(indices), size)]
    parts, done = [], 0
    results = Parallel(n_jobs=n_jobs, return_as="generator")(_jobs(dataset, chunks, transform))
    for part, chunk in zip(results, chunks, strict=True):
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
    """The training rows of every data set, each data set's held-out part, and what was skipped.

    ``groups`` numbers the images across data sets: an image's rows (with its
    distorted copies or repeats) share one, so that cross-validation holds
    them out together.
    """

    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    held_out: dict[str, Features]  # by data set, as its DATASET text
    provenance: list[dict]
    problems: list[Problem]


def import_datasets(
    datasets: Sequence[Dataset],
    transform: Transform,
    *,
    augment: Callable[[Dataset], Transform] | None = None,
    held_out: float = HELD_OUT,
    seed: int = SPLIT_SEED,
    n_jobs: int | None = None,
    progress: Progress | None = None,
) -> Imported:
    """Return the features of each data set's training part (through ``augment(dataset)``,
    which may add distorted rows, if given) and of its held-out part (``transform`` only).

    ``progress(stage, done, total)`` counts images, stage "train:DATASET" or
    "held-out:DATASET". Raises DatasetError when no data set has a usable image.
    """
    rows, held, records, problems, offset = [], {}, [], [], 0
    for dataset in datasets:
        training, held_indices = split(dataset, held_out, seed)
        train_transform = transform if augment is None else augment(dataset)
        report = stage_progress(progress, f"train:{dataset.name}")
        train = featurise(dataset, train_transform, training, n_jobs=n_jobs, progress=report)
        report = stage_progress(progress, f"held-out:{dataset.name}")
        held[dataset.name] = featurise(
            dataset, transform, held_indices, n_jobs=n_jobs, progress=report
        )
        skipped = train.problems + held[dataset.name].problems
        used = dataset.labels[np.unique(train.indices)]
        records.append(provenance(dataset, used, len(held[dataset.name].y), skipped))
        problems += dataset.problems + skipped
        if len(train.y):
            rows.append((train, train.indices + offset))
        offset += len(dataset.labels)
    require_data(sum(len(part.y) for part, _ in rows), [dataset.spec for dataset in datasets])
    return Imported(
        X=np.concatenate([part.X for part, _ in rows]),
        y=np.concatenate([part.y for part, _ in rows]),
        groups=np.concatenate([groups for _, groups in rows]),
        held_out=held,
        provenance=records,
        problems=problems,
    )
