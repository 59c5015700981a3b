"""Export the reviewed history as a data set: the `folder:` layout of train_model, and a manifest.

Each labelled drawing is written as ``PATH/<label>/<id>.png`` (the stored
PNG, byte for byte) and listed in ``PATH/manifest.csv`` with its guess, the
model version that guessed and when. The folder can be archived, shared, or
read back by ``train_model --dataset folder:PATH``. An export job writes the same
layout as a ZIP archive through the drawings' storage (`history_archive`).
"""

import csv
import io
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files import File

from recognizer.history import selectors
from recognizer.history.drawings import drawings_read
from recognizer.models import Prediction
from recognizer.storage import drawing_storage

MANIFEST = "manifest.csv"
MANIFEST_FIELDS = ("id", "label", "guess", "model_version", "created_at")


class ExportError(Exception):
    """A folder the history cannot be exported to; the message says why."""


@dataclass
class Export:
    """What an export wrote: drawings per digit, and those skipped with the reason."""

    folder: Path
    per_digit: list[int] = field(default_factory=lambda: [0] * 10)
    skipped: list[str] = field(default_factory=list)

    @property
    def written(self) -> int:
        return sum(self.per_digit)

    def add(self, prediction: Prediction, data: bytes, manifest: "csv._writer") -> None:
        """Write one drawing's file under its label's folder and its manifest row."""
        target = self.folder / str(prediction.label) / f"{prediction.id}.png"
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(data)
        manifest.writerow(manifest_row(prediction))
        self.per_digit[prediction.label] += 1


def history_export(
    *, folder: Path, force: bool = False, progress: Callable[[int], None] | None = None
) -> Export:
    """Write every labelled drawing and the manifest into ``folder``; return what was written.

    Refuses (ExportError) a folder that is not empty unless ``force``; then the
    files an earlier export listed in its manifest are removed first, so that a
    drawing relabelled or deleted since is not read back under its old label.
    Drawings are read one at a time (from a bucket, if that is where they are
    kept); a missing file is skipped. ``progress(written)`` follows the writing.
    """
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder} is a file, not a folder.")
    if folder.is_dir() and any(folder.iterdir()):
        if not force:
            raise ExportError(f"{folder} is not empty; choose another folder or use --force.")
        remove_earlier_export(folder)
    folder.mkdir(parents=True, exist_ok=True)
    export = Export(folder)
    with (folder / MANIFEST).open("w", newline="", encoding="utf-8") as stream:
        manifest = csv.writer(stream)
        manifest.writerow(MANIFEST_FIELDS)
        for prediction in selectors.labelled_predictions():
            named = [(prediction.id, prediction.drawing.name)]
            for _, data in drawings_read(named, skipped=export.skipped):
                export.add(prediction, data, manifest)
                if progress is not None:
                    progress(export.written)
    return export


def remove_earlier_export(folder: Path) -> None:
    """Remove the drawings an earlier export's manifest lists (nothing else in the folder)."""
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return
    with manifest.open(newline="", encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            label, pk = row.get("label", ""), row.get("id", "")
            if label.isdigit() and pk.isdigit():
                (folder / label / f"{pk}.png").unlink(missing_ok=True)


def history_archive(
    *,
    predictions: Iterable[Prediction],
    name: str,
    progress: Callable[[int], None] | None = None,
) -> tuple[str, Export]:
    """Write the labelled drawings among ``predictions`` as a ZIP archive of the same
    layout (``<label>/<id>.png`` and the manifest), saved as ``name`` in the drawings'
    storage (a local folder or the bucket); return the name it was saved under and
    what was written. ``progress(written)`` follows the writing."""
    export = Export(Path(name))
    with tempfile.TemporaryFile() as spool:
        with zipfile.ZipFile(spool, "w", zipfile.ZIP_STORED) as archive:
            manifest = io.StringIO()
            writer = csv.writer(manifest)
            writer.writerow(MANIFEST_FIELDS)
            for prediction in predictions:
                named = [(prediction.id, prediction.drawing.name)]
                for _, data in drawings_read(named, skipped=export.skipped):
                    archive.writestr(f"{prediction.label}/{prediction.id}.png", data)
                    writer.writerow(manifest_row(prediction))
                    export.per_digit[prediction.label] += 1
                    if progress is not None:
                        progress(export.written)
            archive.writestr(MANIFEST, manifest.getvalue())
        spool.seek(0)
        saved = drawing_storage().save(name, File(spool))
    return saved, export


def manifest_row(prediction: Prediction) -> list:
    """Return a drawing's line in the manifest."""
    return [
        prediction.id,
        prediction.label,
        prediction.digit,
        prediction.model_version,
        prediction.created_at.isoformat(),
    ]
