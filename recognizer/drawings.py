"""Stored drawings: the storage they live in, their file names and their PNG bytes."""

import datetime
import io
import logging
import uuid
import zlib

from django.core.files import File
from django.core.files.storage import Storage
from PIL import Image

from recognizer.storage import NamedStorage

logger = logging.getLogger(__name__)

STORAGE_ALIAS = "drawings"
# Canvas drawings are mostly runs of white: zlib's run-length strategy packs
# them tighter than its default one, and faster (bench/request_costs.py).
PNG_COMPRESS_LEVEL = 1
PNG_COMPRESS_TYPE = zlib.Z_RLE


drawings = NamedStorage(STORAGE_ALIAS)


def drawing_storage() -> Storage:
    """Return the storage that holds drawings (the "drawings" entry of STORAGES)."""
    return drawings


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
        return drawings.open(name, "rb")
    except FileNotFoundError:
        raise
    except Exception as error:
        logger.error("could not read the drawing %s: %s", name, error)
        raise StorageUnavailable("The drawing could not be read; try again shortly.") from error
