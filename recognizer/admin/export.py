"""Predictions as a CSV file, streamed row by row."""

import csv
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import HttpRequest

from recognizer.drawings import drawing_storage


class Echo:
    """A file-like object whose write returns the line, to stream a CSV."""

    def write(self, value: str) -> str:
        return value


CSV_HEADER = ["id", "created_at", "guess", "confidence", "label", "model_version", "drawing_url"]


def csv_lines(request: HttpRequest, predictions: QuerySet) -> Iterator[str]:
    writer = csv.writer(Echo())
    yield writer.writerow(CSV_HEADER)
    rows = predictions.values_list(
        "id", "created_at", "digit", "confidence", "label", "model_version", "drawing"
    )
    storage = drawing_storage()
    for pk, created_at, digit, confidence, label, version, drawing in rows.iterator():
        yield writer.writerow(
            [
                pk,
                created_at.isoformat(),
                digit,
                f"{confidence:.4f}",
                "" if label is None else label,
                version,
                request.build_absolute_uri(storage.url(drawing)),
            ]
        )
