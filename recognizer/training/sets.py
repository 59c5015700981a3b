"""The data sets models are trained and judged on, as the app reads them.

DATASETs named on the command line are read from files (`recognizer.ml.datasets`);
the labelled history is read from the drawings' storage, every fifth labelled
drawing (by id) being its held-out part. A new model is judged on the held-out
parts of load_digits, of the history, of every data set it learnt from and of
those the model in service learnt from.
"""

import hashlib
import logging
from collections.abc import Sequence

import numpy as np
from django.conf import settings

from recognizer.history import selectors
from recognizer.history.drawings import drawings_ink
from recognizer.ml.datasets import (
    HELD_OUT,
    IMPORTED,
    Dataset,
    DatasetError,
    DatasetSpec,
    memory_dataset,
    open_dataset,
    parse_dataset,
    parse_datasets,
    split,
)
from recognizer.ml.guessing import LoadedModel
from recognizer.ml.listings import Problem
from recognizer.ml.progress import Progress
from recognizer.models import ModelVersion

logger = logging.getLogger(__name__)

DIGITS = DatasetSpec("digits")
HISTORY = DatasetSpec("history")
# What a training job learns from unless told otherwise: load_digits and the labelled
# drawings; both are always there to choose from.
BUILT_IN = [str(DIGITS), str(HISTORY)]


def dataset_choices() -> list[str]:
    """Return the data sets a training job may learn from: load_digits, the labelled
    history, and every data set imported to train an earlier version (as it was named)."""
    imported = set()
    for training_data in ModelVersion.objects.values_list("training_data", flat=True):
        for name, record in (training_data or {}).items():
            if isinstance(record, dict) and record.get("kind") in IMPORTED:
                imported.add(name)
    return [*BUILT_IN, *sorted(imported)]


def history_images(
    items: Sequence[selectors.LabelledDrawing], listing: "hashlib._Hash | None" = None
) -> tuple[list[np.ndarray], list[int], int]:
    """Return the ink and label of each stored drawing that decodes, and how many were
    skipped (file missing or unreadable). ``listing``, if given, is updated with each
    decoded drawing's id, label and file SHA-256.

    Features are derived again from the drawings rather than taken from the
    rows, so that they always match the preprocessing being trained.
    """
    labels_by_id = {item.id: item.label for item in items}
    images, labels = [], []
    for pk, ink, data in drawings_ink((item.id, item.drawing) for item in items):
        images.append(ink)
        labels.append(labels_by_id[pk])
        if listing is not None:
            listing.update(
                f"{pk}\t{labels_by_id[pk]}\t{hashlib.sha256(data).hexdigest()}\n".encode()
            )
    return images, labels, len(items) - len(images)


def history_dataset(*, train: bool) -> Dataset:
    """Return the labelled drawings as a data set: those to learn from (only if
    ``train``), then those held out (every fifth, by id), its fixed held-out part.
    Its SHA-256 covers each drawing's id, label and file."""
    train_items, held_items = selectors.labelled_drawings()
    listing = hashlib.sha256()
    images, labels, skipped = history_images(train_items if train else [], listing)
    held_images, held_labels, held_skipped = history_images(held_items, listing)
    count, reason = skipped + held_skipped, "file missing or unreadable (see the log)"
    images_in_all = len(labels) + len(held_labels)
    files = [{"path": "labelled drawings", "images": images_in_all, "sha256": listing.hexdigest()}]
    return memory_dataset(
        HISTORY,
        images + held_images,
        labels + held_labels,
        files,
        held_out=np.arange(len(images), len(images) + len(held_images)),
        problems=[Problem("labelled drawings", reason, count)] if count else [],
    )


def training_specs(datasets: Sequence[str], *, with_history: bool) -> list[DatasetSpec]:
    """Return the data sets to train on: those named (load_digits if none), and the
    history if ``with_history``. Raises DatasetError for a malformed or repeated one."""
    specs = parse_datasets(datasets) or [DIGITS]
    return [*specs, HISTORY] if with_history and HISTORY not in specs else specs


def open_file_dataset(spec: DatasetSpec, *, progress: Progress) -> Dataset:
    """Return a listed data set read from files (or load_digits); ``progress`` follows
    the listing as stage "list:DATASET"."""
    return open_dataset(
        spec,
        max_side=settings.MAX_IMAGE_SIDE,
        progress=lambda done, total: progress(f"list:{spec}", done, total),
        data_home=settings.OPENML_DATA_HOME,
    )


def open_datasets(specs: Sequence[DatasetSpec], *, progress: Progress) -> list[Dataset]:
    """Return the listed data sets, the history read from the drawings' storage."""
    return [
        history_dataset(train=True)
        if spec.kind == "history"
        else open_file_dataset(spec, progress=progress)
        for spec in specs
    ]


def judged_datasets(
    trained: Sequence[Dataset], current: LoadedModel | None, *, progress: Progress
) -> list[Dataset]:
    """Return the data sets whose held-out parts judge a new model: load_digits and the
    history (whether trained on or not), every other data set trained on, and those the
    model in service learnt from (see `earlier_datasets`)."""
    by_kind = {dataset.spec.kind: dataset for dataset in trained}
    digits = by_kind.get("digits") or open_dataset(DIGITS)
    history = by_kind.get("history") or history_dataset(train=False)
    imported = [dataset for dataset in trained if dataset.spec.imported]
    return [digits, history, *imported, *earlier_datasets(current, trained, progress=progress)]


def earlier_datasets(
    current: LoadedModel | None, trained: Sequence[Dataset], *, progress: Progress
) -> list[Dataset]:
    """Return the imported data sets the model in service learnt from and the new one did
    not, where they can still be read with the same content (SHA-256), each with the
    part it held out fixed: a new model must not lose what the current one knew."""
    row = current and ModelVersion.objects.filter(version=current.version).first()
    share = (row.metadata if row else {}).get("parameters", {}).get("held_out", HELD_OUT)
    names, found = {dataset.name for dataset in trained}, []
    for name, record in (row.training_data if row else {}).items():
        if name in names or not isinstance(record, dict):
            continue
        if record.get("kind") not in IMPORTED:
            continue
        try:
            dataset = open_file_dataset(parse_dataset(name), progress=progress)
        except DatasetError:
            continue  # moved or deleted since
        if dataset.listing.files == record.get("files"):
            dataset.listing.held_out = split(dataset, share)[1]
            found.append(dataset)
    return found


def describe_dataset(dataset: Dataset, held_out: float) -> str:
    """Return a line saying how much of a data set will be learnt from and held out."""
    training_part, held_part = (len(part) for part in split(dataset, held_out))
    if dataset.spec.kind == "history":
        return (
            f"history: {training_part} labelled drawings to learn from, "
            f"{held_part} held out to judge by"
        )
    return f"{dataset.name}: {training_part} images to learn from, {held_part} held out"
