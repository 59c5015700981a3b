"""The data sets models are trained and judged on, as the app reads them.

SOURCEs named on the command line are read from files (`recognizer.ml.datasets`);
the labelled history is read from the drawings' storage, every fifth labelled
drawing (by id) being its held-out part. A new model is judged on the held-out
parts of load_digits, of the history, of every source it learnt from and of
those the model in service learnt from.
"""

import hashlib
import logging
from collections.abc import Sequence

import numpy as np
from django.conf import settings

from recognizer import selectors
from recognizer.drawings import drawings_ink
from recognizer.ml import datasets
from recognizer.ml.datasets import HELD_OUT, Source, SourceSpec
from recognizer.ml.featurising import Stage
from recognizer.ml.listings import Problem
from recognizer.ml.serving import LoadedModel
from recognizer.models import ModelVersion

logger = logging.getLogger(__name__)

DIGITS = SourceSpec("digits")
HISTORY = SourceSpec("history")


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


def history_source(*, train: bool) -> Source:
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
    return datasets.memory_source(
        HISTORY,
        images + held_images,
        labels + held_labels,
        files,
        held_out=np.arange(len(images), len(images) + len(held_images)),
        problems=[Problem("labelled drawings", reason, count)] if count else [],
    )


def training_specs(sources: Sequence[str], *, with_history: bool) -> list[SourceSpec]:
    """Return the data sets to train on: those named (load_digits if none), and the
    history if ``with_history``. Raises DatasetError for a malformed or repeated one."""
    specs = datasets.parse_sources(sources) or [DIGITS]
    return [*specs, HISTORY] if with_history and HISTORY not in specs else specs


def open_file_source(spec: SourceSpec, *, progress: Stage) -> Source:
    """Return a listed source read from files (or load_digits); ``progress`` follows
    the listing as stage "list:SOURCE"."""
    return datasets.open_source(
        spec,
        max_side=settings.MAX_IMAGE_SIDE,
        progress=lambda done, total: progress(f"list:{spec}", done, total),
        data_home=settings.OPENML_DATA_HOME,
    )


def open_sources(specs: Sequence[SourceSpec], *, progress: Stage) -> list[Source]:
    """Return the listed sources, the history read from the drawings' storage."""
    return [
        history_source(train=True)
        if spec.kind == "history"
        else open_file_source(spec, progress=progress)
        for spec in specs
    ]


def judged_sources(
    trained: Sequence[Source], current: LoadedModel | None, *, progress: Stage
) -> list[Source]:
    """Return the sources whose held-out parts judge a new model: load_digits and the
    history (whether trained on or not), every other source trained on, and those the
    model in service learnt from (see `earlier_sources`)."""
    by_kind = {source.spec.kind: source for source in trained}
    digits = by_kind.get("digits") or datasets.open_source(DIGITS)
    history = by_kind.get("history") or history_source(train=False)
    imported = [source for source in trained if source.spec.imported]
    return [digits, history, *imported, *earlier_sources(current, trained, progress=progress)]


def earlier_sources(
    current: LoadedModel | None, trained: Sequence[Source], *, progress: Stage
) -> list[Source]:
    """Return the imported sources the model in service learnt from and the new one did
    not, where they can still be read with the same content (SHA-256), each with the
    part it held out fixed: a new model must not lose what the current one knew."""
    row = current and ModelVersion.objects.filter(version=current.version).first()
    share = (row.metadata if row else {}).get("parameters", {}).get("held_out", HELD_OUT)
    names, found = {source.name for source in trained}, []
    for name, record in (row.training_data if row else {}).items():
        if name in names or not isinstance(record, dict):
            continue
        if record.get("kind") not in datasets.IMPORTED:
            continue
        try:
            source = open_file_source(datasets.parse_source(name), progress=progress)
        except datasets.DatasetError:
            continue  # moved or deleted since
        if source.listing.files == record.get("files"):
            source.listing.held_out = datasets.split(source, share)[1]
            found.append(source)
    return found


def describe_source(source: Source, held_out: float) -> str:
    """Return a line saying how much of a source will be learnt from and held out."""
    training_part, held_part = (len(part) for part in datasets.split(source, held_out))
    if source.spec.kind == "history":
        return (
            f"history: {training_part} labelled drawings to learn from, "
            f"{held_part} held out to judge by"
        )
    return f"{source.name}: {training_part} images to learn from, {held_part} held out"
