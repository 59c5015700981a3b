"""What changes stored data: predicting and storing drawings, labelling and deleting them."""

import datetime
import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Literal

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from recognizer.history import metrics
from recognizer.history.drawings import StorageUnavailable, drawing_name, drawing_png
from recognizer.history.selectors import Orphans
from recognizer.history.signals import labels_given
from recognizer.ml.decoding import Drawing
from recognizer.ml.guessing import Guess, LoadedModel
from recognizer.models import LabelChange, Prediction
from recognizer.registry.serving import served_models
from recognizer.storage import drawing_storage

logger = logging.getLogger(__name__)


class DrawingNotStored(StorageUnavailable):
    """The drawing's file could not be written (disk full, bucket unreachable...)."""


class PredictionNotFound(Exception):
    """A request named a prediction that does not exist."""


class PredictionKept(Exception):
    """A prediction that this session may not take back; `code` says why."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


def prediction_create(
    *,
    drawing: Drawing,
    source: str = Prediction.Source.API,
    session_key: str = "",
    replaces_id: int | None = None,
) -> Prediction:
    """Guess the digit, store the drawing's file and then its row; return the row.

    `replaces_id` names an earlier prediction of the same drawing by the same
    session: it is withdrawn in the same transaction (its file after the commit).
    """
    started = time.perf_counter()
    [prediction] = predictions_guess(drawings=[drawing], source=source, session_key=session_key)
    seconds = time.perf_counter() - started
    with drawing_files([prediction], [drawing_png(drawing.image)]), transaction.atomic():
        if replaces_id is not None:
            prediction_withdraw(prediction_id=replaces_id, session_key=session_key)
        prediction.save(force_insert=True)
    predictions_report([prediction], source=source, seconds=seconds)
    return prediction


def predictions_create(
    *, drawings: Sequence[Drawing], source: str = Prediction.Source.API, session_key: str = ""
) -> list[Prediction]:
    """Guess the digit of every drawing in one run of the model, store their files and
    then their rows in one INSERT; return the rows, in the order of the drawings."""
    started = time.perf_counter()
    predictions = predictions_guess(drawings=drawings, source=source, session_key=session_key)
    seconds = time.perf_counter() - started
    predictions_store(
        predictions=predictions, pngs=[drawing_png(drawing.image) for drawing in drawings]
    )
    predictions_report(predictions, source=metrics.BATCH, seconds=seconds)
    return predictions


def predictions_report(predictions: Sequence[Prediction], *, source: str, seconds: float) -> None:
    """Count stored predictions in the metrics and log each: its id, model version,
    guess, confidence and the model's time (for a batch, the whole batch's)."""
    metrics.predictions_observed(predictions, source=source, seconds=seconds)
    if not logger.isEnabledFor(logging.INFO):
        return
    for prediction in predictions:
        logger.info(
            "prediction %s: guessed %d (%.3f) by %s in %.1fms",
            prediction.pk,
            prediction.digit,
            prediction.confidence,
            prediction.model_version,
            seconds * 1000,
            extra={
                "prediction_id": prediction.pk,
                "model_version": prediction.model_version,
                "digit": prediction.digit,
                "confidence": round(prediction.confidence, 4),
                "duration_ms": round(seconds * 1000, 2),
                "source": source,
            },
        )


def predictions_guess(
    *, drawings: Sequence[Drawing], source: str, session_key: str
) -> list[Prediction]:
    """Return unsaved predictions of the drawings: the guesses served, and beside each
    the challenger's, if one is running (never shown to the person drawing)."""
    served = served_models()
    inks = [drawing.ink for drawing in drawings]
    guesses = served.in_service().predict_many(inks)
    shadows = challenger_guesses(served.challenger(), inks)
    created_at = timezone.now()
    return [
        Prediction(
            created_at=created_at,
            features=guess.features,
            digit=guess.digit,
            confidence=guess.confidence,
            margin=guess.margin,
            probabilities=guess.probabilities,
            model_version=guess.model_version,
            not_a_digit=guess.not_a_digit,
            source=source,
            session_key=session_key,
            **challenger_fields(shadow),
        )
        for guess, shadow in zip(guesses, shadows, strict=True)
    ]


def challenger_fields(guess: Guess | None) -> dict[str, object]:
    """Return a row's challenger columns for the challenger's guess (none without one)."""
    if guess is None:
        return {}
    return {
        "challenger_version": guess.model_version,
        "challenger_digit": guess.digit,
        "challenger_confidence": guess.confidence,
    }


def challenger_guesses(challenger: LoadedModel | None, inks: list) -> list[Guess | None]:
    """Return the challenger's guess of each ink image; Nones when there is no challenger.

    A model on trial must never cost anyone their answer: if it fails, the
    failure is logged and the drawings are stored without its guesses.
    """
    if challenger is None:
        return [None] * len(inks)
    try:
        return challenger.predict_many(inks)
    except Exception:  # whatever a model on trial raises
        logger.exception("challenger %s could not guess; stored without it", challenger.version)
        return [None] * len(inks)


def predictions_store(*, predictions: Sequence[Prediction], pngs: Sequence[bytes]) -> None:
    """Store each prediction's drawing (its PNG bytes), then every row in one INSERT."""
    with drawing_files(predictions, pngs), transaction.atomic():
        Prediction.objects.bulk_create(predictions)


@contextmanager
def drawing_files(predictions: Sequence[Prediction], pngs: Sequence[bytes]) -> Iterator[None]:
    """Write each prediction's drawing file and name it on the row, around storing the rows.

    Files come first and are removed again if storing the rows fails, so a
    failure leaves neither. Only a process killed in between can leave a file
    without a row, never a row without its file.
    """
    storage = drawing_storage()
    names: list[str] = []
    try:
        for prediction, png in zip(predictions, pngs, strict=True):
            names.append(storage.save(drawing_name(prediction.created_at), ContentFile(png)))
            prediction.drawing = names[-1]
    except Exception as error:  # each storage backend raises its own kinds
        logger.error("could not store a drawing: %s", error)
        for name in names:
            storage.delete(name)
        raise DrawingNotStored("The drawing could not be stored; nothing was saved.") from error
    try:
        yield
    except BaseException:
        for name in names:
            storage.delete(name)
        raise


def prediction_withdraw(*, prediction_id: int, session_key: str | None) -> None:
    """Delete a prediction that the session which drew it takes back, while unlabelled.

    The page withdraws its live guess of a drawing when a newer guess of the
    same drawing replaces it, and when the person undoes every stroke.
    Checked under a row lock, as feedback may label it at any moment: a
    labelled prediction is kept for good.
    """
    with transaction.atomic():
        withdrawn = Prediction.objects.select_for_update().filter(pk=prediction_id).first()
        if withdrawn is None:
            raise PredictionNotFound(f"There is no prediction {prediction_id} to take back.")
        if not withdrawn.drawn_in(session_key):
            raise PredictionKept(
                "This prediction belongs to another session; it cannot be taken back.",
                code="not_yours",
            )
        if withdrawn.label is not None:
            raise PredictionKept(
                "This prediction has a label and is kept; it cannot be taken back.",
                code="already_labelled",
            )
        predictions_delete(predictions=Prediction.objects.filter(pk=withdrawn.pk))


def prediction_label(
    *,
    prediction: Prediction,
    label: int | None,
    labeller: Prediction.Labeller,
    user: AbstractBaseUser | None = None,
) -> Prediction:
    """Record the digit that was really drawn and who said so (None clears it);
    return the prediction as stored.

    A later answer replaces an earlier one, except that a reviewer's label is
    final for the drawer (`Prediction.label_is_final_for`): checked again here
    under a row lock, as a reviewer may label it while the drawer's request runs.
    """
    now = timezone.now()
    with transaction.atomic():
        locked = Prediction.objects.select_for_update().get(pk=prediction.pk)
        if locked.label_is_final_for(labeller):
            raise PredictionKept(locked.label_final_reason(), code="already_labelled")
        staff_user = user if labeller == Prediction.Labeller.STAFF else None
        prediction.label = label
        prediction.labelled_at = None if label is None else now
        prediction.labeller = "" if label is None else labeller
        prediction.labelled_by = None if label is None else staff_user
        prediction.save(update_fields=["label", "labelled_at", "labeller", "labelled_by"])
        LabelChange.objects.create(
            prediction=prediction,
            label=label,
            labeller=labeller,
            labelled_by=staff_user,
            changed_at=now,
        )
    if label is not None:
        correct = label == prediction.digit
        metrics.labels_observed(correct=int(correct), wrong=int(not correct))
    transaction.on_commit(lambda: labels_given_send(label=label, count=1))
    return prediction


def predictions_label(
    *,
    predictions: QuerySet[Prediction],
    label: int | Literal["guess"] | None,
    user: AbstractBaseUser,
) -> int:
    """Label many predictions as staff: a digit, "guess" (the guess was right) or
    None (clear), each change kept with who and when. Return how many rows changed."""
    now = timezone.now()
    with transaction.atomic():
        ids_and_guesses = list(predictions.select_for_update().values_list("pk", "digit"))
        chosen = Prediction.objects.filter(pk__in=[pk for pk, _ in ids_and_guesses])
        if label is None:
            changed = chosen.update(label=None, labelled_at=None, labeller="", labelled_by=None)
        else:
            changed = chosen.update(
                label=F("digit") if label == "guess" else label,
                labelled_at=now,
                labeller=Prediction.Labeller.STAFF,
                labelled_by=user,
            )
        LabelChange.objects.bulk_create(
            (
                LabelChange(
                    prediction_id=pk,
                    label=guess if label == "guess" else label,
                    labeller=Prediction.Labeller.STAFF,
                    labelled_by=user,
                    changed_at=now,
                )
                for pk, guess in ids_and_guesses
            ),
            batch_size=500,
        )
    if label is not None:
        correct = sum(label in ("guess", guess) for _, guess in ids_and_guesses)
        metrics.labels_observed(correct=correct, wrong=len(ids_and_guesses) - correct)
    transaction.on_commit(lambda: labels_given_send(label=label, count=changed))
    return changed


def labels_given_send(*, label: int | str | None, count: int) -> None:
    """Announce committed labels to whoever listens (automatic retraining, promotion).

    A listener's failure is logged, never taken back to the labeller: the
    labels are stored already.
    """
    for receiver, outcome in labels_given.send_robust(sender=Prediction, label=label, count=count):
        if isinstance(outcome, Exception):
            logger.error("new labels: %s failed", receiver.__qualname__, exc_info=outcome)


def predictions_delete(*, predictions: QuerySet[Prediction]) -> int:
    """Delete rows, then their files once the deletion is committed; return the count.

    Files go last so that a failure can leave a file without a row (harmless,
    removable) but never a row without its file.
    """
    storage = drawing_storage()
    with transaction.atomic():
        names = list(predictions.values_list("drawing", flat=True))
        deleted, _ = Prediction.objects.filter(drawing__in=names).delete()

        def delete_files() -> None:
            for name in names:
                storage.delete(name)

        transaction.on_commit(delete_files)
    return deleted


def predictions_prune(
    *, stored_before: datetime.datetime, keep_labelled: bool = False, batch_size: int = 1000
) -> int:
    """Delete the predictions stored before a moment with their files; return the count.

    Oldest first, a batch per transaction, so an interrupted run leaves a
    clean cut-off and the database is never locked for long.
    """
    old = Prediction.objects.filter(created_at__lt=stored_before)
    if keep_labelled:
        old = old.filter(label__isnull=True)
    deleted = 0
    while batch := list(old.order_by("created_at", "id").values_list("id", flat=True)[:batch_size]):
        deleted += predictions_delete(predictions=Prediction.objects.filter(id__in=batch))
    return deleted


def orphans_repair(*, orphans: Orphans, grace: datetime.timedelta) -> tuple[int, int]:
    """Delete rows whose file is gone and files that no row names.

    A file younger than `grace` may belong to a request still inserting its
    row, so it is left alone. Return (rows deleted, files deleted).
    """
    storage = drawing_storage()
    rows, _ = Prediction.objects.filter(pk__in=orphans.rows_without_files).delete()
    cutoff = timezone.now() - grace
    files = 0
    for name in orphans.files_without_rows:
        try:
            if storage.get_modified_time(name) > cutoff:
                continue
            # Checked again: a row may have been committed since the scan.
            if Prediction.objects.filter(drawing=name).exists():
                continue
            storage.delete(name)
            files += 1
        except FileNotFoundError:
            continue
    return rows, files
