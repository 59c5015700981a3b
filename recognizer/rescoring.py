"""Guessing the labelled history again with chosen model versions, so that versions
can be compared on exactly the same drawings (the statistics page shows them).

Live accuracy per version compares each on the drawings it happened to see;
rescoring gives every version the same drawings.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from recognizer.drawings import drawing_storage
from recognizer.ml.decoding import DecodingError, decode_drawing
from recognizer.ml.serving import LoadedModel
from recognizer.models import Prediction, Rescore

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class RescoreOutcome:
    version: str
    rescored: int
    skipped: int


def rescores_create(
    *, model: LoadedModel, batch_size: int = 500, progress: Progress | None = None
) -> RescoreOutcome:
    """Guess every labelled drawing this version has not guessed yet, a batch at a time
    (one run of the model and one INSERT each); return how many were rescored and
    how many skipped (file missing or unreadable: tried again next time).

    `progress(stage, done, total)` is told after each batch.
    """
    pending = Prediction.objects.filter(label__isnull=False).exclude(
        rescores__model_version=model.version
    )
    total, done, rescored, last = pending.count(), 0, 0, 0
    stage = f"rescoring with {model.version}"
    while batch := list(
        pending.filter(id__gt=last).order_by("id").values_list("id", "drawing")[:batch_size]
    ):
        ids, inks = stored_inks(batch)
        guesses = model.predict_many(inks)
        Rescore.objects.bulk_create(
            [
                Rescore(
                    prediction_id=pk,
                    model_version=model.version,
                    digit=guess.digit,
                    confidence=guess.confidence,
                )
                for pk, guess in zip(ids, guesses, strict=True)
            ],
            ignore_conflicts=True,  # a concurrent run may have rescored some already
        )
        rescored += len(ids)
        done += len(batch)
        last = batch[-1][0]
        if progress is not None:
            progress(stage, done, total)
    return RescoreOutcome(version=model.version, rescored=rescored, skipped=done - rescored)


def stored_inks(batch: list[tuple[int, str]]) -> tuple[list[int], list]:
    """Return the ids and ink arrays of the stored drawings that can be read and decoded,
    decoded as the API decodes an upload."""
    storage = drawing_storage()
    ids, inks = [], []
    for pk, name in batch:
        try:
            with storage.open(name, "rb") as file:
                inks.append(decode_drawing(file.read(), max_side=settings.MAX_IMAGE_SIDE).ink)
        except (OSError, DecodingError) as error:
            logger.warning("drawing %s skipped: %s", pk, error)
            continue
        ids.append(pk)
    return ids, inks
