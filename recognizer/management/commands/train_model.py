from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from recognizer.ml import artifacts, training


class Command(BaseCommand):
    help = (
        "Train the digit recognizer on scikit-learn's digits set, save it as a "
        "versioned artifact in MODEL_DIR and put it in service."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="Do nothing if a model is already in service (used by `make run`).",
        )

    def handle(self, *args: object, **options: object) -> None:
        directory = Path(settings.MODEL_DIR)
        if options["if_missing"]:
            try:
                version = artifacts.active_version(directory)
                artifacts.read_metadata(directory, version)
            except artifacts.ArtifactError:
                pass
            else:
                self.stdout.write(f"Model {version} is in service in {directory}; not training.")
                return

        self.stdout.write("Training the digit recognizer (k-nearest neighbours)...")
        result = training.train(progress=self.stdout.write)
        best_k = result.pipeline.named_steps["classifier"].n_neighbors
        self.stdout.write("")
        self.stdout.write("  k   cross-validated accuracy")
        for k, accuracy in result.cv_accuracy_by_k.items():
            marker = "  <- chosen" if k == best_k else ""
            self.stdout.write(f"{k:3d}   {accuracy:.4f}{marker}")
        self.stdout.write("")
        self.stdout.write(
            f"On the held-out 25% of load_digits ({result.metadata['test_samples']} images):"
        )
        self.stdout.write(result.test_report)

        artifact = artifacts.save_artifact(result.pipeline, result.metadata, directory)
        artifacts.activate(directory, artifact.version)
        self.stdout.write(
            self.style.SUCCESS(
                f"Model {artifact.version} saved to {directory} and put in service: "
                f"held-out accuracy {result.metadata['test_accuracy']:.2%}, "
                f"trained in {result.metadata['train_seconds']:.1f} s."
            )
        )
