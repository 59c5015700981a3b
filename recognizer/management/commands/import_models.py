from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from recognizer.registry import services as registry


class Command(BaseCommand):
    help = (
        "Register the model artifacts that a folder holds from before the model "
        "registry (model-<version>.joblib with its .json metadata); the one its "
        "ACTIVE file names is put in service if no model is. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "folder", nargs="?", help="Where the artifacts are (default MODEL_DIR)."
        )

    def handle(self, *args: object, **options: object) -> None:
        folder = Path(options["folder"] or settings.MODEL_DIR)
        imported = registry.model_versions_import(folder=folder)
        if imported or options["verbosity"] >= 2:
            names = ", ".join(version.version for version in imported) or "none"
            self.stdout.write(f"Model artifacts registered from {folder}: {names}.")
