from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from recognizer.ml import artifacts


class Command(BaseCommand):
    help = (
        "Put a trained model version in service. Running servers switch to it "
        "within a second, without a restart."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("version", help="A version shown by `manage.py list_models`.")

    def handle(self, *args: object, **options: object) -> None:
        directory = Path(settings.MODEL_DIR)
        try:
            artifact = artifacts.activate(directory, options["version"])
        except artifacts.ArtifactError as error:
            raise CommandError(f"{error} See `manage.py list_models`.") from None
        self.stdout.write(self.style.SUCCESS(f"Model {artifact.version} is now in service."))
