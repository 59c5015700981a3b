"""One way for tests to store predictions without the model: rows with sensible values,
each overridable, and a small file in the drawings' storage when a test reads it."""

import datetime
import uuid

from django.core.files.base import ContentFile
from django.utils import timezone

from recognizer.models import Prediction
from recognizer.storage import drawing_storage

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def probabilities_for(digit: int, confidence: float) -> list[float]:
    """Return ten probabilities: `confidence` on `digit`, the rest shared evenly."""
    rest = (1 - confidence) / 9
    return [confidence if index == digit else rest for index in range(10)]


def prediction_build(
    *, digit: int = 1, confidence: float = 0.9, with_file: bool = False, **fields: object
) -> Prediction:
    """Return an unsaved prediction guessing `digit` at `confidence`; `with_file` stores
    a small file for its drawing (otherwise the name is unique and no file exists)."""
    if "drawing" not in fields:
        name = f"drawings/test/{uuid.uuid4().hex}.png"
        fields["drawing"] = (
            drawing_storage().save(name, ContentFile(PNG_SIGNATURE)) if with_file else name
        )
    values = {
        "features": [0] * 64,
        "probabilities": probabilities_for(digit, confidence),
        "model_version": "abcdefabcdef",
        **fields,
    }
    return Prediction(digit=digit, confidence=confidence, **values)


def prediction_make(**options: object) -> Prediction:
    """Return a stored prediction, built as `prediction_build` builds it."""
    prediction = prediction_build(**options)
    prediction.save()
    return prediction


def prediction_made_ago(
    minutes_ago: int, digit: int, confidence: float, label: int | None = None
) -> Prediction:
    """Return a stored prediction with a file, made `minutes_ago` minutes ago."""
    return prediction_make(
        with_file=True,
        created_at=timezone.now() - datetime.timedelta(minutes=minutes_ago),
        digit=digit,
        confidence=confidence,
        label=label,
    )


def prediction_torn(
    minutes_ago: int, *, first: float, second: float, label: int | None = None
) -> Prediction:
    """Return a stored guess of 3 at probability `first`, 8 coming second at `second`."""
    rest = (1 - first - second) / 8
    probabilities = [rest] * 10
    probabilities[3], probabilities[8] = first, second
    return prediction_make(
        created_at=timezone.now() - datetime.timedelta(minutes=minutes_ago),
        digit=3,
        confidence=first,
        probabilities=probabilities,
        model_version="aaaaaaaaaaaa",
        label=label,
    )
