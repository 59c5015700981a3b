"""Fill the database with realistic predictions, quickly, for demos and scale tests.

A small set of distinct drawings is rendered (recognizer/ml/synthetic.py),
decoded and guessed by the model in service exactly as live ones are; the
history draws from that set. Every row still has its own file, as the
consistency rules require (deleting a row deletes its file). With the file
system storage, a row's file is a hard link to the first file written for
its drawing: a directory entry, not a copy, so a million rows take seconds
(not the many minutes of writing a million small files) and no extra disk
blocks. Other storages get real copies through the storage API.

Rows are spread over the past `--days` days, busier towards the present,
in time order (ids grow with time, as in real life); a fraction is
labelled with the digit really drawn (so some guesses are marked wrong);
older rows carry older model versions.
"""

import errno
import hashlib
import os
import random
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from threadpoolctl import threadpool_limits

from recognizer.inference import get_model_service
from recognizer.ml import decoding, synthetic
from recognizer.ml.serving import LoadedModel, ModelUnavailable
from recognizer.models import Prediction
from recognizer.services import encode_png

SESSIONS = 2000
PAGE_SHARE = 0.7


@dataclass
class Template:
    """One distinct drawing, as stored and as guessed."""

    truth: int
    png: bytes
    features: list[int]
    digit: int
    confidence: float
    probabilities: list[float]
    linked_from: str | None = None
    prepared: dict | None = None


class DrawingFiles:
    """Writes each row's file: hard links where the storage allows, else copies."""

    def __init__(self) -> None:
        self.storage = Prediction._meta.get_field("drawing").storage
        self.links = isinstance(self.storage, FileSystemStorage)
        self.folders: set[str] = set()

    def store(self, folder: str, template: Template) -> str:
        name = f"{folder}/{uuid.uuid4().hex}.png"
        if not self.links:
            return self.storage.save(name, ContentFile(template.png))
        # Our own names (hex, dates): joined directly, without the storage's
        # checks, which cost more than the link itself.
        path = f"{self.storage.location}/{name}"
        if folder not in self.folders:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.folders.add(folder)
        if template.linked_from is not None:
            try:
                os.link(template.linked_from, path)
                return name
            except FileNotFoundError:
                pass  # the first copy was deleted meanwhile: write another
            except OSError as error:
                if error.errno == errno.EMLINK:
                    pass  # too many links to one file: start another
                elif error.errno in (errno.EXDEV, errno.EPERM, errno.ENOTSUP):
                    self.links = False  # no hard links here: copies from now on
                    return self.storage.save(name, ContentFile(template.png))
                else:
                    raise
        with open(path, "xb") as file:  # noqa: PTH123 (a str path, on purpose)
            file.write(template.png)
        template.linked_from = path
        return name

    def delete(self, names: list[str]) -> None:
        for name in names:
            self.storage.delete(name)


class Command(BaseCommand):
    help = (
        "Store N realistic predictions (drawings, guesses, some labels) spread over "
        "the past months, with bulk inserts. For demos and tests at scale."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, required=True, help="how many predictions")
        parser.add_argument(
            "--days", type=int, default=180, help="spread over this many past days [180]"
        )
        parser.add_argument(
            "--labelled",
            type=float,
            default=0.1,
            help="fraction labelled with the digit really drawn [0.1]",
        )
        parser.add_argument(
            "--drawings", type=int, default=200, help="distinct drawings to render [200]"
        )
        parser.add_argument(
            "--versions", type=int, default=3, help="model versions, the last in service [3]"
        )
        parser.add_argument("--batch", type=int, default=5000, help="rows per transaction [5000]")
        parser.add_argument("--seed", type=int, default=None, help="for a reproducible history")

    def handle(self, *args: object, **options: object) -> None:
        count, days = options["count"], options["days"]
        if min(count, days, options["drawings"], options["versions"], options["batch"]) < 1:
            raise CommandError("--count, --days, --drawings, --versions and --batch must be >= 1.")
        if not 0 <= options["labelled"] <= 1:
            raise CommandError("--labelled is a fraction between 0 and 1.")
        try:
            model = get_model_service().current()
        except ModelUnavailable as error:
            raise CommandError(str(error)) from None
        rng = random.Random(options["seed"])
        started = time.perf_counter()

        # One sample at a time: scikit-learn's thread pools only slow that down.
        with threadpool_limits(1):
            templates = render_templates(options["drawings"], model, rng)
        right = sum(template.digit == template.truth for template in templates)
        self.stdout.write(
            f"{len(templates)} drawings rendered and guessed in "
            f"{time.perf_counter() - started:.1f} s (the model is right on {right})."
        )
        versions = [
            hashlib.sha256(f"{model.version}:{index}".encode()).hexdigest()[:12]
            for index in range(options["versions"] - 1)
        ] + [model.version]

        now = timezone.now()
        span = timedelta(days=days).total_seconds()
        # Busier towards the present: the density of rows grows linearly with time.
        ages = sorted((1 - rng.random() ** 0.5 for _ in range(count)), reverse=True)
        sessions = [uuid.uuid4().hex for _ in range(SESSIONS)]
        # The connection itself, not the django.db.connection proxy, which
        # looks it up again on every attribute access.
        insert = BulkInsert(connections[DEFAULT_DB_ALIAS])
        for template in templates:
            template.prepared = insert.prepare(
                features=template.features,
                digit=template.digit,
                confidence=template.confidence,
                probabilities=template.probabilities,
            )
        files = DrawingFiles()
        labelled = wrong = 0
        for start in range(0, count, options["batch"]):
            rows, names = [], []
            try:
                # Files first, then the rows, in one transaction per batch; a
                # failure removes the batch's files: never a row without its file.
                for age in ages[start : start + options["batch"]]:
                    template = templates[rng.randrange(len(templates))]
                    created_at = now - timedelta(seconds=age * span)
                    names.append(files.store(f"drawings/{created_at:%Y/%m/%d}", template))
                    label = template.truth if rng.random() < options["labelled"] else None
                    from_page = rng.random() < PAGE_SHARE
                    version = versions[min(len(versions) - 1, int((1 - age) * len(versions)))]
                    rows.append(
                        insert.row(
                            template.prepared,
                            created_at=created_at,
                            drawing=names[-1],
                            model_version=version,
                            label=label,
                            labelled_at=None
                            if label is None
                            else created_at + timedelta(minutes=rng.uniform(0.5, 600)),
                            label_source=""
                            if label is None
                            else Prediction.LabelSource.SESSION
                            if from_page
                            else Prediction.LabelSource.TOKEN,
                            labelled_by=None,
                            source=Prediction.Source.PAGE if from_page else Prediction.Source.API,
                            session_key=rng.choice(sessions) if from_page else "",
                        )
                    )
                    if label is not None:
                        labelled += 1
                        wrong += label != template.digit
                with transaction.atomic():
                    insert.execute(rows)
            except BaseException:
                files.delete(names)
                raise
            if options["verbosity"] >= 2:
                self.stdout.write(
                    f"  {start + len(rows)} stored ({time.perf_counter() - started:.0f} s)"
                )

        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"{count} predictions stored in {elapsed:.1f} s ({count / elapsed:.0f} a second), "
                f"spread over the past {days} days: {labelled} labelled ({wrong} of them "
                f"wrong guesses), {len(versions)} model versions, each row with its own "
                f"file ({'hard links to' if files.links else 'copies of'} "
                f"{len(templates)} drawings)."
            )
        )


class BulkInsert:
    """INSERTs of many rows at once, each value prepared by its model field.

    The ORM's bulk_create spends most of its time compiling every value of
    every row; here each value goes through its field's own preparation for
    the database (so JSON, dates and time zones are stored exactly as the
    ORM stores them), the JSON of a drawing only once, and the rows go to
    the driver's executemany.
    """

    def __init__(self, connection: object) -> None:
        self.connection = connection
        self.fields = [field for field in Prediction._meta.concrete_fields if not field.primary_key]
        quote = connection.ops.quote_name
        self.sql = "INSERT INTO {} ({}) VALUES ({})".format(
            quote(Prediction._meta.db_table),
            ", ".join(quote(field.column) for field in self.fields),
            ", ".join(["%s"] * len(self.fields)),
        )

    def prepare(self, **values: object) -> dict:
        return {
            name: Prediction._meta.get_field(name).get_db_prep_save(value, self.connection)
            for name, value in values.items()
        }

    def row(self, prepared: dict, **values: object) -> tuple:
        return tuple(
            prepared[field.name]
            if field.name in prepared
            else field.get_db_prep_save(values[field.name], self.connection)
            for field in self.fields
        )

    def execute(self, rows: list[tuple]) -> None:
        with self.connection.cursor() as cursor:
            cursor.executemany(self.sql, rows)


def render_templates(count: int, model: LoadedModel, rng: random.Random) -> list[Template]:
    """Distinct canvas drawings, decoded and guessed as the API would."""
    templates = []
    drawing_rng = np.random.default_rng(rng.getrandbits(64))
    for index in range(count):
        truth = index % 10
        canvas = synthetic.synthetic_drawing(truth, drawing_rng)
        drawing = decoding.decode_drawing(encode_png(decoding.to_grey(canvas)), max_side=2048)
        guess = model.predict(drawing.ink)
        templates.append(
            Template(
                truth=truth,
                png=encode_png(drawing.image),
                features=guess.features,
                digit=guess.digit,
                confidence=guess.confidence,
                probabilities=guess.probabilities,
            )
        )
    return templates
