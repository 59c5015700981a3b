from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser

from recognizer.history.drawings import drawing_ink
from recognizer.ml import contact_sheets, synthetic
from recognizer.ml.decoding import DecodingError
from recognizer.ml.guessing import ModelUnavailable
from recognizer.registry.serving import load_version


class Command(BaseCommand):
    help = (
        "Write a PNG sheet to check the preprocessing by eye: per row, a drawing, "
        "the features the model sees (its 8x8 or larger grid), the guess, and "
        "training samples of the same digit as the model sees them. The drawings are "
        "synthetic pen strokes, or your own PNG files."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("output", help="Where to write the PNG sheet.")
        parser.add_argument(
            "--drawings",
            nargs="+",
            metavar="DIGIT=FILE",
            help="Your own drawings, each as its true digit and a PNG file, e.g. 7=seven.png.",
        )
        parser.add_argument(
            "--per-class",
            type=int,
            default=2,
            help="Synthetic drawings per digit when no --drawings are given (default 2).",
        )
        parser.add_argument(
            "--background",
            choices=["transparent", "white"],
            default="transparent",
            help="Background of the synthetic drawings (default transparent, as a canvas).",
        )
        parser.add_argument("--model", help="Model version (default: the one in service).")

    def handle(self, *args: object, **options: object) -> None:
        try:
            pipeline = load_version(options["model"]).pipeline
        except ModelUnavailable as error:
            raise CommandError(str(error)) from None

        if options["drawings"]:
            pngs, labels = self.read_drawings(options["drawings"])
        else:
            if not 1 <= options["per_class"] <= 20:
                raise CommandError("--per-class must be between 1 and 20.")
            sets, labels = synthetic.synthetic_digit_sets(
                options["per_class"], backgrounds=(options["background"],)
            )
            pngs = sets[options["background"]]
        try:
            images = [drawing_ink(png) for png in pngs]
        except DecodingError as error:
            raise CommandError(f"A drawing could not be read: {error}") from None
        sheet = contact_sheets.contact_sheet(pipeline, images, np.asarray(labels))
        try:
            Path(options["output"]).write_bytes(sheet)
        except OSError as error:
            raise CommandError(f"{options['output']}: {error.strerror}") from None
        self.stdout.write(
            self.style.SUCCESS(f"{len(images)} drawings written to {options['output']}.")
        )

    def read_drawings(self, specs: list[str]) -> tuple[list[bytes], list[int]]:
        pngs, labels = [], []
        for spec in specs:
            digit, _, path = spec.partition("=")
            if not (digit.isdigit() and len(digit) == 1 and path):
                raise CommandError(f"{spec!r} is not DIGIT=FILE, e.g. 7=seven.png.")
            try:
                pngs.append(Path(path).read_bytes())
            except OSError as error:
                raise CommandError(f"{path}: {error.strerror}") from None
            labels.append(int(digit))
        return pngs, labels
