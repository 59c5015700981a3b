from django.core.management.base import BaseCommand

from recognizer.history import statistics
from recognizer.ml.datasets import KINDS
from recognizer.ml.training import input_grid
from recognizer.models import ModelVersion
from recognizer.templatetags.recognizer_format import percent

# What models trained before data sets had a kind called their two data sets.
EARLIER_NAMES = {"load_digits training split": "digits", "corrected drawings": "history"}


def data_sets(training_data: dict) -> str:
    """Return a short form of what a model learnt from, such as "digits+idx"."""
    kinds = {
        value.get("kind", name) if isinstance(value, dict) else name
        for name, value in training_data.items()
    }
    kinds = {EARLIER_NAMES.get(kind, kind) for kind in kinds}
    order = {kind: at for at, kind in enumerate(KINDS)}
    return "+".join(sorted(kinds, key=lambda kind: (order.get(kind, len(KINDS)), kind))) or "-"


class Command(BaseCommand):
    help = (
        "List every trained model version, oldest first, with its input size, what it "
        "learnt from, its accuracy on the held-out load_digits and on the labelled "
        "drawings it guessed; * marks the version in service, ~ the challenger."
    )

    def handle(self, *args: object, **options: object) -> None:
        versions = list(
            statistics.with_live_accuracy(ModelVersion.objects.order_by("created_at", "id"))
        )
        if not versions:
            self.stdout.write("No trained model: run `manage.py train_model`.")
            return
        marks = {ModelVersion.Role.IN_SERVICE: "*", ModelVersion.Role.CHALLENGER: "~"}
        self.stdout.write(
            f"  {'version':12}  {'trained at':25}  {'test acc.':>9}  {'labelled':>8}  "
            f"{'right':>7}  {'input':5}  {'data':20}  trained by"
        )
        for version in versions:
            counts = statistics.LabelledCounts(version.live_labelled, version.live_correct)
            grid = input_grid(version.metadata)
            self.stdout.write(
                f"{marks.get(version.role, ' ')} {version.version:12}  "
                f"{version.created_at.isoformat(timespec='seconds'):25}  "
                f"{percent(version.metadata.get('test_accuracy'), 2):>9}  "
                f"{counts.labelled:>8}  {percent(counts.accuracy, 1):>7}  "
                f"{f'{grid}x{grid}':5}  {data_sets(version.training_data):20}  "
                f"{version.trained_by}"
            )
