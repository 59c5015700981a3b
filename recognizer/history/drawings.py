"""Stored drawings: their file names, their PNG bytes, and reading them back."""

import datetime
import io
import logging
import uuid
import zlib
from collections.abc import Iterable, Iterator

import numpy as np
from django.conf import settings
from django.core.files import File
from PIL import Image

from recognizer.ml.decoding import DecodingError, decode_drawing
from recognizer.storage import drawing_storage

logger = logging.getLogger(__name__)

# Canvas drawings are mostly runs of white: zlib's run-length strategy packs
# them tighter than its default one, and faster (bench/request_costs.py).
PNG_COMPRESS_LEVEL = 1
PNG_COMPRESS_TYPE = zlib.Z_RLE


def drawing_name(created_at: datetime.datetime) -> str:
    """Return a new file name for a drawing made at `created_at`, unique by construction."""
    return f"drawings/{created_at:%Y/%m/%d}/{uuid.uuid4().hex}.png"


def drawing_png(image: Image.Image) -> bytes:
    """Return the drawing as our own greyscale PNG: a client's bytes are never stored."""
    buffer = io.BytesIO()
    image.convert("L").save(
        buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL, compress_type=PNG_COMPRESS_TYPE
    )
    return buffer.getvalue()


class StorageUnavailable(Exception):
    """The drawings' storage did not answer (a full disk, an unreachable bucket...)."""


def drawing_open(name: str) -> File:
    """Return a stored drawing opened for reading; FileNotFoundError if it is gone.

    Any other failure is the storage's (each backend raises its own kinds:
    OSError, botocore's errors...): StorageUnavailable.
    """
    try:
        return drawing_storage().open(name, "rb")
    except FileNotFoundError:
        raise
    except Exception as error:
        logger.error("could not read the drawing %s: %s", name, error)
        raise StorageUnavailable("The drawing could not be read; try again shortly.") from error


def drawings_read(
    drawings_named: Iterable[tuple[int, str]], *, skipped: list[str] | None = None
) -> Iterator[tuple[int, bytes]]:
    """Yield the id and bytes of each stored drawing, given as (id, file name): the one
    reader of stored drawings for training, rescoring and exports.

    A drawing whose file is gone is skipped, logged and, if given, noted in
    `skipped`; a storage that fails raises StorageUnavailable, as a job should stop
    rather than go on without the history.
    """
    for pk, name in drawings_named:
        try:
            with drawing_open(name) as file:
                data = file.read()
        except FileNotFoundError:
            logger.warning("drawing %s skipped: its file %s is gone", pk, name)
            if skipped is not None:
                skipped.append(f"drawing {pk}: file {name} is gone")
            continue
        yield pk, data


def drawing_ink(data: bytes) -> np.ndarray:
    """Return the ink array of a drawing's bytes (PNG, JPEG or WebP), decoded as the API
    decodes an upload."""
    return decode_drawing(data, max_side=settings.MAX_IMAGE_SIDE).ink


def drawings_ink(
    drawings_named: Iterable[tuple[int, str]],
) -> Iterator[tuple[int, np.ndarray, bytes]]:
    """Yield the id, ink array and bytes of each stored drawing that can be read and
    decoded; the others are skipped and logged."""
    for pk, data in drawings_read(drawings_named):
        try:
            ink = drawing_ink(data)
        except DecodingError as error:
            logger.warning("drawing %s skipped: %s", pk, error)
            continue
        yield pk, ink, data
