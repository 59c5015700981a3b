"""Delete old predictions together with their drawings' files."""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from recognizer.history import services
from recognizer.models import Prediction


class Command(BaseCommand):
    help = (
        "Delete the predictions older than DAYS days and their files, in chunks "
        "(each chunk's rows in one transaction, its files once that is committed)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            required=True,
            metavar="DAYS",
            help="delete what was stored more than DAYS days ago",
        )
        parser.add_argument("--dry-run", action="store_true", help="only say what would be deleted")
        parser.add_argument(
            "--keep-labelled",
            action="store_true",
            help="keep the predictions someone labelled (they are training material)",
        )
        parser.add_argument("--batch", type=int, default=1000, help="rows per chunk [1000]")

    def handle(self, *args: object, **options: object) -> None:
        days, batch, keep_labelled = (
            options["older_than"],
            options["batch"],
            options["keep_labelled"],
        )
        if days < 0:
            raise CommandError("--older-than is a number of days, 0 or more.")
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        cutoff = timezone.now() - timedelta(days=days)
        old = Prediction.objects.filter(created_at__lt=cutoff)
        when = f"stored before {cutoff:%Y-%m-%d %H:%M} {cutoff.tzname()}"
        kept = ""
        if keep_labelled:
            kept = f"; {old.filter(label__isnull=False).count()} labelled ones kept"
            old = old.filter(label__isnull=True)
        if options["dry_run"]:
            self.stdout.write(
                f"Dry run: {old.count()} predictions {when} would be deleted, "
                f"with their files{kept}. Nothing was deleted."
            )
            return
        started = time.perf_counter()
        deleted = services.predictions_prune(
            stored_before=cutoff, keep_labelled=keep_labelled, batch_size=batch
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Deleted {deleted} predictions {when} and their files "
                f"in {time.perf_counter() - started:.1f} s{kept}."
            )
        )
