"""Guessing the labelled history again with chosen model versions, so that versions
can be compared on exactly the same drawings (the statistics page shows them).

Live accuracy per version compares each on the drawings it happened to see;
rescoring gives every version the same drawings.
"""

import logging
from dataclasses import dataclass

from recognizer.history.drawings import drawings_ink
from recognizer.ml.guessing import LoadedModel
from recognizer.ml.progress import Progress
from recognizer.models import Prediction, Rescore

logger = logging.getLogger(__name__)


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
    stage = f"rescore:{model.version}"
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
    """Return the ids and ink arrays of the stored drawings that can be read and decoded."""
    decoded = [(pk, ink) for pk, ink, _ in drawings_ink(batch)]
    return [pk for pk, _ in decoded], [ink for _, ink in decoded]
