from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recognizer.history.drawings import StorageUnavailable
from recognizer.history.exports import MANIFEST, ExportError, history_export

PROGRESS_EVERY = 1000  # drawings written between two progress lines


class Command(BaseCommand):
    help = (
        "Export the labelled drawings as a data set: PATH/<label>/<id>.png for each, and "
        f"PATH/{MANIFEST} (id, label, guess, model_version, created_at). Read it back with "
        "`manage.py train_model --dataset folder:PATH`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path", type=Path, metavar="PATH", help="The folder to write (created if missing)."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Write into a folder that is not empty: the drawings an earlier export's "
            "manifest lists there are replaced; other files are left alone.",
        )

    def handle(self, *args: object, **options: object) -> None:
        def report(written: int) -> None:
            if written % PROGRESS_EVERY == 0:
                self.stdout.write(f"  {written} drawings written...")

        try:
            export = history_export(folder=options["path"], force=options["force"], progress=report)
        except (ExportError, StorageUnavailable, OSError) as error:
            raise CommandError(str(error)) from None
        for line in export.skipped:
            self.stdout.write(self.style.WARNING(f"skipped {line}"))
        per_digit = " ".join(f"{digit}:{count}" for digit, count in enumerate(export.per_digit))
        self.stdout.write(
            self.style.SUCCESS(
                f"{export.written} labelled drawings exported to {export.folder} ({per_digit}); "
                f"train on them with `manage.py train_model --dataset folder:{export.folder}`."
            )
        )
