"""Readers of handwriting data sets on disk: MNIST's IDX files, Kaggle's CSV, folders of images.

Each reader lists its data set first (labels, what must be skipped, the files'
SHA-256) without decoding a single image, and returns a loader that decodes
the images of the items asked for, in order, a batch at a time. Every image
becomes ink exactly as a drawing from the page does: bytes through
`decoding.decode_drawing`, pixel arrays through `decoding.grey_drawing`,
which tell the polarity from the picture's border.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import math
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image

from recognizer.ml.decoding import DecodingError, decode_drawing, grey_drawing
from recognizer.ml.listings import (
    FileProblem,
    Listing,
    Loaded,
    Loader,
    Problem,
    file_record,
    sha256_file,
)
from recognizer.ml.progress import StageProgress

GZIP_MAGIC = b"\x1f\x8b"
IDX_UNSIGNED_BYTE = 0x08
CHUNK_BYTES = 1 << 20  # IDX data read at a time
DIGITS = range(10)
PROGRESS_EVERY = 1000  # files hashed between two progress reports


def open_binary(path: Path) -> BinaryIO:
    """Return the file opened for reading, decompressed on the fly if it starts like gzip."""
    with path.open("rb") as stream:
        compressed = stream.read(2) == GZIP_MAGIC
    return gzip.open(path, "rb") if compressed else path.open("rb")


def _idx_header(stream: BinaryIO, path: Path) -> tuple[int, ...]:
    """Return the dimensions in an IDX header, refusing anything but unsigned bytes."""
    magic = stream.read(4)
    if len(magic) < 4 or magic[:2] != b"\x00\x00":
        raise FileProblem(Problem(str(path), "not an IDX file (no IDX magic number)"))
    if magic[2] != IDX_UNSIGNED_BYTE:
        raise FileProblem(
            Problem(str(path), f"IDX data type 0x{magic[2]:02X} is not unsigned bytes (0x08)")
        )
    raw = stream.read(4 * magic[3])
    if len(raw) < 4 * magic[3]:
        raise FileProblem(Problem(str(path), "the IDX header is cut short"))
    return tuple(int.from_bytes(raw[i : i + 4], "big") for i in range(0, len(raw), 4))


def _idx_layout(path: Path) -> tuple[tuple[int, ...], int]:
    """Return an IDX file's dimensions and how many bytes of data follow the header."""
    try:
        with open_binary(path) as stream:
            dims = _idx_header(stream, path)
            size = 0
            while block := stream.read(1 << 20):
                size += len(block)
    except (OSError, EOFError, zlib.error) as error:
        raise FileProblem(Problem(str(path), f"unreadable ({error})")) from None
    return dims, size


def read_idx(images: Path, labels: Path, *, max_side: int) -> Listing:
    """Return the listing of an IDX pair (MNIST's layout, gzipped or not)."""
    files = [file_record(images), file_record(labels)]
    label_dims, label_size = _idx_layout(labels)
    image_dims, image_size = _idx_layout(images)
    if len(label_dims) != 1:
        raise FileProblem(Problem(str(labels), f"labels must be 1-D, not {len(label_dims)}-D"))
    if len(image_dims) != 3 or 0 in image_dims[1:]:
        raise FileProblem(Problem(str(images), f"images must be n x rows x columns: {image_dims}"))
    if max(image_dims[1:]) > max_side:
        raise FileProblem(Problem(str(images), f"images larger than {max_side} pixels a side"))
    if image_dims[0] != label_dims[0]:
        raise FileProblem(
            Problem(
                f"{images} and {labels}",
                f"{image_dims[0]} images but {label_dims[0]} labels: they do not belong together",
            )
        )
    record = image_dims[1] * image_dims[2]
    present = min(image_dims[0], image_size // record, label_size)
    problems = []
    if present < image_dims[0]:
        problems.append(
            Problem(
                f"{images} and {labels}",
                f"the data ends after {present} of the {image_dims[0]} items the headers promise",
                count=image_dims[0] - present,
            )
        )
    with open_binary(labels) as stream:
        _idx_header(stream, labels)
        values = np.frombuffer(stream.read(present), dtype=np.uint8)
    problems += _label_problems(values, lambda i: f"{labels} item {i}")
    positions = np.flatnonzero(values <= 9)
    load = _idx_loader(images, positions, image_dims[1:])
    return Listing(values[positions].astype(np.int64), load, problems, files)


def _label_problems(values: np.ndarray, where: Callable[[int], str]) -> list[Problem]:
    """Return one problem per label outside 0-9."""
    return [
        Problem(where(int(i)), f"label {values[i]} is outside 0-9")
        for i in np.flatnonzero(values > 9)
    ]


def _idx_loader(path: Path, positions: np.ndarray, shape: tuple[int, ...]) -> Loader:
    """Return the loader of the IDX images at ``positions`` (item i is record positions[i])."""
    record = shape[0] * shape[1]
    chunk_records = max(1, CHUNK_BYTES // record)

    def load(indices: np.ndarray) -> Iterator[Loaded]:
        with open_binary(path) as stream:
            _idx_header(stream, path)
            # The chunk holds records first .. first + len(chunk) - 1; positions ascend.
            first, chunk = 0, np.zeros((0, *shape), dtype=np.uint8)
            for index, position in zip(indices, positions[indices], strict=True):
                if position >= first + len(chunk):
                    stream.seek((position - first - len(chunk)) * record, io.SEEK_CUR)
                    data = np.frombuffer(stream.read(chunk_records * record), dtype=np.uint8)
                    first, chunk = position, data[: len(data) // record * record]
                    chunk = chunk.reshape(-1, *shape)
                where = f"{path} item {position}"
                yield int(index), _ink_of_pixels(chunk[position - first], where)

    return load


def _ink_of_pixels(pixels: np.ndarray, where: str) -> np.ndarray | Problem:
    """Return the ink of a greyscale pixel array, or the problem that makes it unusable."""
    try:
        return grey_drawing(Image.fromarray(np.ascontiguousarray(pixels), "L")).ink
    except DecodingError as error:
        return Problem(where, str(error))


def _csv_columns(header: bytes, path: Path) -> tuple[int, int, int]:
    """Return (number of columns, index of the label column, image side) from a CSV header."""
    names = [
        name.strip().strip("\"'").lower() for name in header.decode("utf-8", "replace").split(",")
    ]
    if "label" not in names:
        raise FileProblem(Problem(f"{path} line 1", "no 'label' column in the header"))
    pixels = len(names) - 1
    side = math.isqrt(pixels)
    if side < 1 or side * side != pixels:
        raise FileProblem(
            Problem(f"{path} line 1", f"{pixels} pixel columns do not make a square image")
        )
    return len(names), names.index("label"), side


def read_csv(path: Path) -> Listing:
    """Return the listing of a CSV file: a header with a ``label`` column, one column per pixel."""
    files = [file_record(path)]
    offsets, labels, problems = [], [], []
    with path.open("rb") as stream:
        header = stream.readline()
        columns, label_at, side = _csv_columns(header, path)
        offset, line_number = len(header), 1
        for line in stream:
            line_number += 1
            where = f"{path} line {line_number}"
            fields = line.split(b",")
            if not line.strip():
                pass
            elif len(fields) != columns:
                problems.append(Problem(where, f"{len(fields)} values, expected {columns}"))
            elif not (label := fields[label_at].strip()).isdigit() or int(label) > 9:
                problems.append(
                    Problem(where, f"label {label.decode(errors='replace')!r} is not a digit 0-9")
                )
            else:
                offsets.append((offset, line_number))
                labels.append(int(label))
            offset += len(line)
    load = _csv_loader(path, offsets, label_at, side)
    return Listing(np.asarray(labels, dtype=np.int64), load, problems, files)


def _csv_loader(path: Path, offsets: list[tuple[int, int]], label_at: int, side: int) -> Loader:
    """Return the loader of the CSV rows at ``offsets`` (byte offset, line number)."""

    def load(indices: np.ndarray) -> Iterator[Loaded]:
        with path.open("rb") as stream:
            for index in indices:
                offset, line_number = offsets[index]
                stream.seek(offset)
                fields = stream.readline().split(b",")
                del fields[label_at]
                yield int(index), _csv_pixels(fields, side, f"{path} line {line_number}")

    return load


def _csv_pixels(fields: list[bytes], side: int, where: str) -> np.ndarray | Problem:
    """Return the ink of one CSV row's pixel values (0..255), or why it is unusable."""
    try:
        values = np.array([float(value) for value in fields])
    except ValueError:
        return Problem(where, "a pixel value is not a number")
    if not np.all((values >= 0) & (values <= 255)):  # also refuses NaN
        return Problem(where, "a pixel value is outside 0-255")
    return _ink_of_pixels(np.rint(values).astype(np.uint8).reshape(side, side), where)


def read_folder(root: Path, *, max_side: int, progress: StageProgress | None = None) -> Listing:
    """Return the listing of a folder whose sub-folders ``0``-``9`` hold the images of each digit.

    The folder's SHA-256 is that of its sorted listing: one line per image,
    its relative path and its own SHA-256. Hashing every file is the slow part
    (tens of seconds for 60,000): ``progress(done, total)`` counts the files.
    """
    paths, labels = [], []
    for digit in DIGITS:
        folder = root / str(digit)
        if folder.is_dir():
            found = sorted(p for p in folder.rglob("*") if p.is_file() and _visible(p, root))
            paths += found
            labels += [digit] * len(found)
    if not paths:
        raise FileProblem(Problem(str(root), "no images in sub-folders named 0-9"))
    listing = hashlib.sha256()
    for done, path in enumerate(paths, start=1):
        listing.update(f"{path.relative_to(root).as_posix()}\t{sha256_file(path)}\n".encode())
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == len(paths)):
            progress(done, len(paths))
    files = [{"path": str(root), "images": len(paths), "sha256": listing.hexdigest()}]
    load = _folder_loader(root, paths, max_side)
    return Listing(np.asarray(labels, dtype=np.int64), load, [], files)


def _visible(path: Path, root: Path) -> bool:
    """Return whether no part of the path below ``root`` is hidden (.DS_Store, .git)."""
    return not any(part.startswith(".") for part in path.relative_to(root).parts)


def _folder_loader(root: Path, paths: list[Path], max_side: int) -> Loader:
    """Return the loader of the image files ``paths``, decoded as uploads are."""

    def load(indices: np.ndarray) -> Iterator[Loaded]:
        for index in indices:
            path = paths[index]
            try:
                yield int(index), decode_drawing(path.read_bytes(), max_side=max_side).ink
            except (OSError, DecodingError) as error:
                yield int(index), Problem(str(path), str(error))

    return load
