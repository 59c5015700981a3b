"""Predictions as a CSV file, streamed row by row."""

import csv
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse


class Echo:
    """A file-like object whose write returns the line, to stream a CSV."""

    def write(self, value: str) -> str:
        return value


COLUMNS = {
    "id": "id",
    "created_at": "created_at",
    "guess": "digit",
    "confidence": "confidence",
    "label": "label",
    "labeller": "labeller",
    "labelled_by": "labelled_by__username",
    "labelled_at": "labelled_at",
    "source": "source",
    "model_version": "model_version",
    "drawing_url": "drawing",
}


def csv_cell(value: object) -> str:
    """Return a value as the CSV shows it: dates in ISO 8601, nothing for None."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def csv_lines(request: HttpRequest, predictions: QuerySet) -> Iterator[str]:
    """Yield the CSV lines of the predictions, a header first."""
    writer = csv.writer(Echo())
    yield writer.writerow(COLUMNS)
    for row in predictions.values_list(*COLUMNS.values()).iterator():
        *cells, drawing = row
        url = request.build_absolute_uri(reverse("recognizer:drawing", args=[drawing]))
        yield writer.writerow([*map(csv_cell, cells), url])
