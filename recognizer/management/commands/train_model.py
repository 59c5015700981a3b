from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from recognizer import retraining
from recognizer.ml import artifacts
from recognizer.templatetags.recognizer_format import percent


class Command(BaseCommand):
    help = (
        "Train the digit recognizer on scikit-learn's digits set (and, with "
        "--with-history, on the drawings people corrected), save it as a new "
        "version in MODEL_DIR, and put it in service unless it is worse than "
        "the model in service."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="Do nothing if a model is already in service (used by `make run`).",
        )
        parser.add_argument(
            "--with-history",
            action="store_true",
            help="Also learn from labelled drawings (a fifth of them is held out to judge by).",
        )
        parser.add_argument(
            "--history-repeat",
            type=int,
            default=None,
            help=f"Times each labelled drawing counts (default HISTORY_REPEAT, "
            f"now {settings.HISTORY_REPEAT}).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Put the new model in service even if it is worse than the current one.",
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
        if options["history_repeat"] is not None and options["history_repeat"] < 1:
            raise CommandError("--history-repeat must be at least 1.")

        self.stdout.write("Training the digit recognizer (k-nearest neighbours)...")
        outcome = retraining.train_model(
            with_history=options["with_history"],
            history_repeat=options["history_repeat"],
            force=options["force"],
            progress=self.stdout.write,
        )
        result = outcome.result
        if outcome.history_skipped:
            self.stdout.write(
                self.style.WARNING(
                    f"{outcome.history_skipped} labelled drawings were skipped "
                    "(file missing or unreadable)."
                )
            )
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
        self.write_comparison(outcome)

        new = outcome.artifact.version
        if outcome.activated:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Model {new} saved to {directory} and put in service "
                    f"(trained in {result.metadata['train_seconds']:.1f} s)."
                )
            )
        else:
            self.stdout.write(
                self.style.WARNING(
                    f"Model {new} is worse than {outcome.previous_version} on at least one "
                    "set above: saved, but NOT put in service. Activate it anyway with "
                    f"`manage.py activate_model {new}` or train with --force."
                )
            )

    def write_comparison(self, outcome: retraining.TrainingOutcome) -> None:
        current = outcome.previous_version or "none"
        new = outcome.artifact.version
        self.stdout.write(f"{'accuracy on':30} {'samples':>8} {current:>14} {new:>14}")
        for name, samples, current_accuracy, new_accuracy in outcome.comparison.rows:
            self.stdout.write(
                f"{name:30} {samples:8d} {percent(current_accuracy, 2):>14} "
                f"{percent(new_accuracy, 2):>14}"
            )
        self.stdout.write("")
