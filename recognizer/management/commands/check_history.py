import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recognizer.history import selectors, services


class Command(BaseCommand):
    help = (
        "Check that every stored prediction has its drawing file and every drawing "
        "file its prediction; with --repair, delete the orphans. Exits 1 when "
        "orphans remain."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--repair",
            action="store_true",
            help="Delete rows whose file is missing and files that no row names.",
        )
        parser.add_argument(
            "--grace-seconds",
            type=int,
            default=60,
            help="Leave files younger than this alone: their row may be on its way (default 60).",
        )

    def handle(self, *args: object, **options: object) -> None:
        orphans = selectors.orphans_find()
        rows, files = orphans.rows_without_files, orphans.files_without_rows
        self.stdout.write(f"Rows without their drawing file: {len(rows)}")
        for pk in rows[:20]:
            self.stdout.write(f"  prediction {pk}")
        self.stdout.write(f"Drawing files without a row: {len(files)}")
        for name in files[:20]:
            self.stdout.write(f"  {name}")
        if not rows and not files:
            self.stdout.write(self.style.SUCCESS("The history is consistent."))
            return
        if not options["repair"]:
            raise CommandError("The history has orphans; run again with --repair to delete them.")
        deleted_rows, deleted_files = services.orphans_repair(
            orphans=orphans, grace=datetime.timedelta(seconds=options["grace_seconds"])
        )
        self.stdout.write(
            self.style.SUCCESS(f"Deleted {deleted_rows} rows and {deleted_files} files.")
        )
        left = len(files) - deleted_files
        if left:
            raise CommandError(f"{left} files were younger than the grace period; left alone.")
