from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from recognizer import selectors
from recognizer.ml import artifacts
from recognizer.templatetags.recognizer_format import percent


class Command(BaseCommand):
    help = "List every trained model version in MODEL_DIR, oldest first; * marks the active one."

    def handle(self, *args: object, **options: object) -> None:
        directory = Path(settings.MODEL_DIR)
        found = artifacts.list_artifacts(directory)
        if not found:
            self.stdout.write(f"No trained model in {directory}: run `manage.py train_model`.")
            return
        try:
            active = artifacts.active_version(directory)
        except artifacts.ArtifactError:
            active = None
        used = selectors.predictions_per_version()
        self.stdout.write(
            f"  {'version':12}  {'trained at':25}  {'algorithm':22}  {'test acc.':>9}  "
            f"{'history':>7}  {'predictions':>11}"
        )
        for artifact in found:
            metadata = artifact.metadata
            marker = "*" if artifact.version == active else " "
            shown_accuracy = percent(metadata.get("test_accuracy"), 2)
            self.stdout.write(
                f"{marker} {artifact.version:12}  {metadata.get('trained_at', '?'):25}  "
                f"{metadata.get('algorithm', '?'):22}  {shown_accuracy:>9}  "
                f"{metadata.get('history_samples', 0):>7}  {used.get(artifact.version, 0):>11}"
            )
