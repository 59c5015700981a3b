from django.core.management.base import BaseCommand

from recognizer import statistics
from recognizer.models import ModelVersion
from recognizer.templatetags.recognizer_format import percent


class Command(BaseCommand):
    help = (
        "List every trained model version, oldest first, with its accuracy on the "
        "held-out load_digits and on the labelled drawings it guessed; * marks the "
        "version in service, ~ the challenger."
    )

    def handle(self, *args: object, **options: object) -> None:
        versions = list(ModelVersion.objects.order_by("created_at", "id"))
        if not versions:
            self.stdout.write("No trained model: run `manage.py train_model`.")
            return
        live = statistics.labelled_counts_by_version()
        marks = {ModelVersion.Role.ACTIVE: "*", ModelVersion.Role.CHALLENGER: "~"}
        self.stdout.write(
            f"  {'version':12}  {'trained at':25}  {'test acc.':>9}  {'labelled':>8}  "
            f"{'right':>7}  trained by"
        )
        for version in versions:
            counts = live.get(version.version)
            self.stdout.write(
                f"{marks.get(version.role, ' ')} {version.version:12}  "
                f"{version.created_at.isoformat(timespec='seconds'):25}  "
                f"{percent(version.metadata.get('test_accuracy'), 2):>9}  "
                f"{counts.labelled if counts else 0:>8}  "
                f"{percent(counts.accuracy if counts else None, 1):>7}  {version.trained_by}"
            )
