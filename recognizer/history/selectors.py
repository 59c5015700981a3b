"""Reads of the stored history: filtered lists, training data, consistency checks."""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

from django.core.files.storage import Storage
from django.db.models import F, Q, QuerySet, Subquery

from recognizer.models import NOT_A_DIGIT, Prediction
from recognizer.storage import drawing_storage

# Every fifth labelled drawing (by id) is kept out of training, so that each
# model version can be judged on drawings that no version ever learnt from.
HOLD_OUT_EVERY = 5

CORRECT = Q(label=F("digit"))
# A drawing labelled not a digit was neither guessed right nor wrong.
WRONG = Q(label__lt=NOT_A_DIGIT) & ~Q(label=F("digit"))
# Guessed by a challenger too; and of those, guessed otherwise by it.
CHALLENGED = Q(challenger_digit__isnull=False)
DISAGREED = CHALLENGED & ~Q(challenger_digit=F("digit"))


def of_model_version(predictions: QuerySet[Prediction], version: str) -> QuerySet[Prediction]:
    """Return those of `predictions` made by one model version, quick to list newest first.

    A version's predictions lie in one stretch of time, which PostgreSQL's
    planner cannot know: to list a version's newest rows it may walk the date
    index back from the newest prediction of all, through every later
    version's rows (bench/admin_pages.py). Bounding the dates by the
    version's own newest prediction (one index probe, in the same query)
    starts that walk among its rows.
    """
    newest = (
        Prediction.objects.filter(model_version=version)
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    return predictions.filter(model_version=version, created_at__lte=Subquery(newest))


# The orders the history can be listed in; each ends with the id, so that it is total.
ORDERINGS = {"-created_at": ("-created_at", "-id"), "margin": ("margin", "id")}


def prediction_list(
    *,
    digit: int | None = None,
    label: int | None = None,
    correct: bool | None = None,
    labelled: bool | None = None,
    model_version: str | None = None,
    created_after: datetime.datetime | None = None,
    created_before: datetime.datetime | None = None,
    ordering: str = "-created_at",
) -> QuerySet[Prediction]:
    """Return the predictions matching every filter given, newest first, or least
    certain first (`ordering="margin"`: the smallest margin between the two likeliest
    digits)."""
    predictions = Prediction.objects.all()
    if digit is not None:
        predictions = predictions.filter(digit=digit)
    if label is not None:
        predictions = predictions.filter(label=label)
    if correct is not None:
        predictions = predictions.filter(CORRECT if correct else WRONG)
    if labelled is not None:
        predictions = predictions.filter(label__isnull=not labelled)
    if model_version:
        predictions = of_model_version(predictions, model_version)
    if created_after is not None:
        predictions = predictions.filter(created_at__gte=created_after)
    if created_before is not None:
        predictions = predictions.filter(created_at__lt=created_before)
    return predictions.order_by(*ORDERINGS[ordering])


@dataclass(frozen=True)
class LabelledDrawing:
    id: int
    drawing: str
    label: int


def labelled_drawings() -> tuple[list[LabelledDrawing], list[LabelledDrawing]]:
    """Return the labelled drawings split into (for training, held out for evaluation);
    those labelled not a digit are only ever trained on (as the refusal's negatives)."""
    training, held_out = [], []
    rows = Prediction.objects.filter(label__isnull=False).order_by("id")
    for pk, drawing, label in rows.values_list("id", "drawing", "label").iterator():
        item = LabelledDrawing(id=pk, drawing=drawing, label=label)
        held = pk % HOLD_OUT_EVERY == 0
        # Drawings that are no digit teach the refusal step; they judge no digit accuracy.
        if not (held and label == NOT_A_DIGIT):
            (held_out if held else training).append(item)
    return training, held_out


# The history's filters an export takes, as stored with its job: JSON values, dates in
# ISO 8601 (validated by the API before they are stored).
EXPORT_FILTERS = {
    "digit": int,
    "label": int,
    "correct": bool,
    "labelled": bool,
    "model_version": str,
    "created_after": datetime.datetime.fromisoformat,
    "created_before": datetime.datetime.fromisoformat,
    "ordering": str,
}


def export_filter(name: str, value: object) -> object:
    """Return a stored export filter's value as `prediction_list` takes it; TypeError or
    ValueError if it is not of the filter's type (nothing is guessed)."""
    kind = EXPORT_FILTERS[name]
    if kind in (int, bool, str):
        if type(value) is not kind:
            raise TypeError(name)
        return value
    return kind(value)


def labelled_to_export(
    *, ids: list[int] | None = None, filters: dict | None = None
) -> QuerySet[Prediction]:
    """Return the labelled drawings an export names, by id: those of ``ids``, or those
    matching the stored ``filters``. ValueError for filters it cannot read."""
    if ids is not None:
        chosen = Prediction.objects.filter(pk__in=ids)
    else:
        try:
            parsed = {
                name: export_filter(name, value)
                for name, value in (filters or {}).items()
                if value is not None
            }
        except (KeyError, TypeError, ValueError):
            raise ValueError(
                f"The export's filters cannot be read ({filters}); queue the export again."
            ) from None
        chosen = prediction_list(**parsed)
    return (
        chosen.filter(label__isnull=False)
        .order_by("id")
        .only("id", "drawing", "label", "digit", "model_version", "created_at")
    )


def labelled_predictions(*, chunk_size: int = 1000) -> Iterator[Prediction]:
    """Yield every labelled prediction, by id, read a chunk at a time (the fields an
    export of the history needs)."""
    rows = (
        Prediction.objects.filter(label__isnull=False)
        .order_by("id")
        .only("id", "drawing", "label", "digit", "model_version", "created_at")
    )
    yield from rows.iterator(chunk_size=chunk_size)


@dataclass(frozen=True)
class Orphans:
    rows_without_files: list[int]
    files_without_rows: list[str]


def stored_drawing_names(storage: Storage, folder: str = "drawings") -> Iterator[str]:
    """Yield every file under the drawings folder, walking one folder at a time."""
    folders, files = storage.listdir(folder)
    for name in sorted(files):
        yield f"{folder}/{name}"
    for sub in sorted(folders):
        yield from stored_drawing_names(storage, f"{folder}/{sub}")


def orphans_find(*, batch_size: int = 1000) -> Orphans:
    """Return the rows whose drawing file is missing and the drawing files no row names.

    Reads in batches, so memory stays flat however large the history is.
    """
    storage = drawing_storage()
    rows_without_files = [
        pk
        for pk, name in Prediction.objects.order_by()
        .values_list("id", "drawing")
        .iterator(chunk_size=batch_size)
        if not storage.exists(name)
    ]
    files_without_rows = []
    try:
        names = stored_drawing_names(storage)
        for batch in iter(lambda: list(islice(names, batch_size)), []):
            known = set(
                Prediction.objects.filter(drawing__in=batch).values_list("drawing", flat=True)
            )
            files_without_rows += [name for name in batch if name not in known]
    except FileNotFoundError:
        pass  # no drawing stored yet
    return Orphans(rows_without_files, files_without_rows)


def session_predictions(*, session_key: str | None, limit: int) -> list[Prediction]:
    """Return a browser session's latest drawings, newest first; none without a session."""
    if not session_key:
        return []
    return list(
        Prediction.objects.filter(session_key=session_key).only(
            "id", "created_at", "drawing", "digit", "label"
        )[:limit]
    )
