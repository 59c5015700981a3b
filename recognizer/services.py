"""What changes stored data: predicting and storing drawings, labelling them."""

import logging
import struct
import uuid
import zlib

import numpy as np
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from PIL import Image

from recognizer.inference import get_model_service
from recognizer.ml.decoding import Drawing
from recognizer.models import Prediction

logger = logging.getLogger(__name__)


class DrawingNotStored(Exception):
    """The drawing's file could not be written (disk full, read-only...)."""


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_COMPRESS_LEVEL = 3


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(image: Image.Image) -> bytes:
    """Re-encode a drawing ourselves: the client's bytes are never stored.

    An 8-bit greyscale PNG, its rows unfiltered and deflated at level 3.
    Drawings are mostly runs of white, which deflate handles well on its
    own. For canvas drawings: 1.85 KB on average in 0.28 ms, where Pillow's
    `optimize=True` (every PNG filter tried on every row, deflate level 9)
    gives 1.46 KB in 4.9 ms, and its default 1.87 KB in 1.1 ms. Either way
    a drawing fills one 4 KiB block of the file system.
    """
    pixels = np.asarray(image.convert("L") if image.mode != "L" else image, dtype=np.uint8)
    height, width = pixels.shape
    rows = np.zeros((height, width + 1), dtype=np.uint8)  # each row: filter 0, then pixels
    rows[:, 1:] = pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey, no interlace
    return b"".join(
        [
            PNG_SIGNATURE,
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", zlib.compress(rows.tobytes(), PNG_COMPRESS_LEVEL)),
            _png_chunk(b"IEND", b""),
        ]
    )


def predict_and_store(
    *, drawing: Drawing, source: str = Prediction.Source.API, session_key: str = ""
) -> Prediction:
    """Guess the digit, then store the drawing's file and its row together.

    The file is written first and removed again if the row cannot be
    inserted, so a failure leaves neither. Only a process killed between the
    two can leave a file without a row, never a row without its file.
    """
    guess = get_model_service().current().predict(drawing.ink)
    created_at = timezone.now()
    storage = Prediction._meta.get_field("drawing").storage
    try:
        name = storage.save(
            f"drawings/{created_at:%Y/%m/%d}/{uuid.uuid4().hex}.png",
            ContentFile(encode_png(drawing.image)),
        )
    except OSError as error:
        logger.error("could not write a drawing: %s", error)
        raise DrawingNotStored("The drawing could not be stored; nothing was saved.") from error
    try:
        with transaction.atomic():
            return Prediction.objects.create(
                created_at=created_at,
                drawing=name,
                features=guess.features,
                digit=guess.digit,
                confidence=guess.confidence,
                probabilities=guess.probabilities,
                model_version=guess.model_version,
                source=source,
                session_key=session_key,
            )
    except BaseException:
        storage.delete(name)
        raise


def set_label(prediction: Prediction, label: int | None) -> Prediction:
    """Record the digit that was really drawn (None clears it)."""
    prediction.label = label
    prediction.labelled_at = None if label is None else timezone.now()
    prediction.save(update_fields=["label", "labelled_at"])
    return prediction


def delete_predictions(predictions: QuerySet[Prediction]) -> int:
    """Delete rows, then their files once the deletion has been committed.

    Files go last so that a failure can leave a file without a row (harmless,
    removable) but never a row without its file.
    """
    storage = Prediction._meta.get_field("drawing").storage
    with transaction.atomic():
        names = list(predictions.values_list("drawing", flat=True))
        deleted, _ = Prediction.objects.filter(drawing__in=names).delete()

        def delete_files() -> None:
            for name in names:
                storage.delete(name)

        transaction.on_commit(delete_files)
    return deleted
