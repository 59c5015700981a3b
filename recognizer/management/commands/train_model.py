import getpass
import socket

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from recognizer import retraining, selectors
from recognizer.ml import evaluation, training
from recognizer.ml.serving import ModelUnavailable
from recognizer.model_service import NO_MODEL, load_version
from recognizer.templatetags.recognizer_format import percent

STAGE_NAMES = {
    "augment": "distorting and preprocessing load_digits",
    "fit": "fitting and calibrating",
}


class ProgressBar:
    """One line per training stage, redrawn in place on a terminal; elsewhere
    (logs, CI) printed only at each tenth so the output stays short."""

    width = 30

    def __init__(self, stream: OutputWrapper):
        self.stream = stream
        self.interactive = stream.isatty()
        self.stage = ""
        self.shown_tenths = -1

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.stage, self.shown_tenths = stage, -1
        tenths = 10 * done // max(total, 1)
        if not self.interactive and tenths == self.shown_tenths:
            return
        self.shown_tenths = tenths
        filled = self.width * done // max(total, 1)
        bar = "#" * filled + "." * (self.width - filled)
        label = STAGE_NAMES.get(stage, stage)
        line = f"  {label:40} [{bar}] {done}/{total}"
        if self.interactive:
            self.stream.write("\r" + line, ending="\n" if done >= total else "")
        else:
            self.stream.write(line)
        self.stream.flush()


class Command(BaseCommand):
    help = (
        "Train the digit recognizer on scikit-learn's digits set, augmented with "
        "distorted copies (and, with --with-history, on the drawings people "
        "corrected), evaluate it, save it as a new version in the model registry, and put "
        "it in service unless it is worse than the model in service."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="Do nothing if a usable model is already in service (used by `make run`).",
        )
        parser.add_argument(
            "--if-fast",
            action="store_true",
            help="Train only if the model in service is a fast one (what `make run` trains "
            "in the background to replace its first, quick model).",
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
        parser.add_argument(
            "--fast",
            action="store_true",
            help="Train a small model in seconds (for trying things out; less accurate).",
        )
        parser.add_argument(
            "--skip-evaluation",
            action="store_true",
            help="Do not evaluate on the drawing-like sets (saves about 30 seconds).",
        )

    def handle(self, *args: object, **options: object) -> None:
        if options["if_missing"]:
            try:
                current = load_version()
            except ModelUnavailable as error:
                if str(error) != NO_MODEL:  # one serves, but cannot: say why
                    self.stdout.write(f"{error} Training a new one.")
            else:
                self.stdout.write(f"Model {current.version} is in service; not training.")
                return
        if options["if_fast"]:
            current = selectors.model_version_in_service()
            if current is not None and not current.metadata.get("fast"):
                self.stdout.write(f"Model {current} is fully trained and in service; not training.")
                return
        self.check_settings(options)
        factor = training.FAST_FACTOR if options["fast"] else settings.TRAINING_AUGMENTATION_FACTOR
        self.stdout.write(
            "Training the digit recognizer (an ensemble of small neural networks) on "
            f"load_digits and {factor} distorted {'copy' if factor == 1 else 'copies'} "
            f"of each image{', fast setting' if options['fast'] else ''}..."
        )
        outcome = retraining.train_model(
            trained_by=f"manage.py train_model ({getpass.getuser()}@{socket.gethostname()})",
            with_history=options["with_history"],
            history_repeat=options["history_repeat"],
            force=options["force"],
            fast=options["fast"],
            run_evaluation=not options["skip_evaluation"],
            message=self.stdout.write,
            progress=ProgressBar(self.stdout),
        )
        self.write_report(outcome)
        self.write_verdict(outcome)

    def check_settings(self, options: dict) -> None:
        if options["history_repeat"] is not None and options["history_repeat"] < 1:
            raise CommandError("--history-repeat must be at least 1.")
        if settings.TRAINING_AUGMENTATION_FACTOR < 0:
            raise CommandError("TRAINING_AUGMENTATION_FACTOR must be 0 or more.")
        if settings.TRAINING_JOBS == 0 or settings.TRAINING_JOBS < -1:
            raise CommandError("TRAINING_JOBS must be -1 (every core) or at least 1.")

    def write_report(self, outcome: retraining.TrainingOutcome) -> None:
        if outcome.history_skipped:
            self.stdout.write(
                self.style.WARNING(
                    f"{outcome.history_skipped} labelled drawings were skipped "
                    "(file missing or unreadable)."
                )
            )
        metadata = outcome.result.metadata
        self.stdout.write("")
        if metadata["cv_accuracy"] is not None:
            self.stdout.write(
                f"Cross-validated accuracy ({metadata['cv_folds']} folds of the training "
                f"split): {percent(metadata['cv_accuracy'], 2)}"
            )
        self.stdout.write(
            f"On the held-out 25% of load_digits ({metadata['test_samples']} images):"
        )
        self.stdout.write(outcome.result.test_report)
        self.write_comparison(outcome)
        if outcome.evaluation:
            self.stdout.write(evaluation.format_scores(outcome.evaluation))
            self.stdout.write("(`manage.py evaluate_model` shows per-digit figures.)")
            self.stdout.write("")

    def write_verdict(self, outcome: retraining.TrainingOutcome) -> None:
        new = outcome.model_version.version
        if outcome.activated:
            seconds = outcome.result.metadata["train_seconds"]
            self.stdout.write(
                self.style.SUCCESS(f"Model {new} trained in {seconds:.1f} s and put in service.")
            )
            return
        self.stdout.write(
            self.style.WARNING(
                f"Model {new} is worse than {outcome.previous_version} on at least one "
                f"set above (by more than {retraining.TOLERANCE:.0%}): saved, but NOT put "
                f"in service. Activate it anyway with `manage.py activate_model {new}` "
                "or train with --force."
            )
        )

    def write_comparison(self, outcome: retraining.TrainingOutcome) -> None:
        current = outcome.previous_version or "none"
        new = outcome.model_version.version
        self.stdout.write(f"{'accuracy on':30} {'samples':>8} {current:>14} {new:>14}")
        for name, samples, current_accuracy, new_accuracy in outcome.comparison.rows:
            self.stdout.write(
                f"{name:30} {samples:8d} {percent(current_accuracy, 2):>14} "
                f"{percent(new_accuracy, 2):>14}"
            )
        self.stdout.write("")
