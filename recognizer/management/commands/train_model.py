import getpass
import socket

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from recognizer.history.drawings import StorageUnavailable
from recognizer.jobs.progress import LABEL_WIDTH
from recognizer.jobs.runner import job_create
from recognizer.jobs.selectors import job_like
from recognizer.management.progress import ProgressBar
from recognizer.ml import score_tables, training
from recognizer.ml.datasets import AUGMENTED_ROWS, HELD_OUT, describe_problems
from recognizer.ml.guessing import ModelUnavailable
from recognizer.models import Job
from recognizer.registry.selectors import model_version_in_service
from recognizer.registry.serving import NO_MODEL, load_version
from recognizer.templatetags.recognizer_format import percent
from recognizer.training import services as training_services


class Command(BaseCommand):
    help = (
        "Train the digit recognizer on data sets (scikit-learn's digits unless --dataset "
        "says otherwise), with distorted copies of each image where the data are few, "
        "evaluate it, save it as a new version in the model registry, and put it in "
        "service unless it is worse than the model in service on a held-out set."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="Do nothing if a usable model is already in service (used by `make run`).",
        )
        self.add_data_arguments(parser)
        parser.add_argument(
            "--if-fast",
            action="store_true",
            help="Train only if the model in service is a fast one (what `make run` trains "
            "in the background to replace its first, quick model).",
        )
        parser.add_argument(
            "--activate",
            "--force",
            dest="activate",
            action="store_true",
            help="Put the new model in service even if it is worse than the current one "
            "(the comparison is still printed). --force is the old name.",
        )
        parser.add_argument(
            "--fast",
            action="store_true",
            help="Train a small model in seconds (for trying things out; less accurate).",
        )
        parser.add_argument(
            "--in-background",
            action="store_true",
            help="Queue the training as a job for a worker (`manage.py db_worker`) and return "
            "at once; the admin's Jobs page follows it (used by `make run`).",
        )
        parser.add_argument(
            "--skip-evaluation",
            action="store_true",
            help="Do not evaluate on the drawing-like sets (saves about 30 seconds).",
        )

    def add_data_arguments(self, parser: CommandParser) -> None:
        """Add the options that choose what to learn from, and how."""
        parser.add_argument(
            "--dataset",
            action="append",
            default=[],
            metavar="DATASET",
            help="Learn from this data set; repeat to combine several: digits (scikit-learn's, "
            "the default), history (the labelled drawings), folder:PATH (sub-folders 0-9 of "
            "PNG/JPEG/WebP images), idx:IMAGES,LABELS (MNIST's files, gzipped or not), "
            "csv:PATH (a label column and one column per pixel).",
        )
        parser.add_argument(
            "--with-history",
            action="store_true",
            help="Also learn from the labelled drawings: the same as adding --dataset history "
            "(without --dataset: digits and history). A fifth of them is held out to judge by.",
        )
        parser.add_argument(
            "--history-repeat",
            type=int,
            metavar="N",
            default=None,
            help=f"Times each labelled drawing counts (default HISTORY_REPEAT, "
            f"now {settings.HISTORY_REPEAT}).",
        )
        parser.add_argument(
            "--grid",
            type=int,
            metavar="N",
            default=training.GRID,
            help=f"Input size: the drawing is counted on a grid of N x N cells "
            f"({training.GRIDS[0]}-{training.GRIDS[-1]}; default {training.GRID}, "
            "as load_digits).",
        )
        parser.add_argument(
            "--held-out",
            type=float,
            default=HELD_OUT,
            metavar="SHARE",
            help=f"Share of each imported data set kept out of training to judge by "
            f"(default {HELD_OUT}, the same items every time).",
        )
        parser.add_argument(
            "--factor",
            type=int,
            metavar="N",
            default=None,
            help="Distorted copies of each imported image (default: by data size, about "
            f"{AUGMENTED_ROWS:,} rows in all; none from that many images). "
            "load_digits gets TRAINING_AUGMENTATION_FACTOR "
            f"(now {settings.TRAINING_AUGMENTATION_FACTOR}).",
        )

    def handle(self, *args: object, **options: object) -> None:
        if options["if_missing"] and self.model_in_service():
            return
        if options["if_fast"] and self.model_fully_trained():
            return
        self.check_settings(options)
        if options["in_background"]:
            self.queue(options)
            return
        self.stdout.write(
            "Training the digit recognizer (an ensemble of small neural networks, "
            f"{options['grid']}x{options['grid']} input"
            f"{', fast setting' if options['fast'] else ''})..."
        )
        try:
            outcome = training_services.model_version_train(
                trained_by=f"manage.py train_model ({getpass.getuser()}@{socket.gethostname()})",
                datasets=options["dataset"],
                with_history=options["with_history"],
                history_repeat=options["history_repeat"],
                factor=options["factor"],
                grid=options["grid"],
                held_out=options["held_out"],
                then=training_services.SERVE,
                even_if_worse=options["activate"],
                fast=options["fast"],
                evaluate=not options["skip_evaluation"],
                message=self.stdout.write,
                progress=ProgressBar(self.stdout),
            )
        except (ValueError, StorageUnavailable) as error:
            # A data set that cannot be used (DatasetError), or too few images of a
            # digit for the calibration folds.
            raise CommandError(str(error)) from None
        self.write_report(outcome)
        self.write_verdict(outcome)

    def queue(self, options: dict) -> None:
        """Queue the training as a job, unless the same one is already waiting or running."""
        if options["activate"]:
            raise CommandError("--activate trains in the foreground only.")
        parameters = {
            "datasets": [
                *(options["dataset"] or ["digits"]),
                *(["history"] if options["with_history"] else []),
            ],
            "grid": options["grid"],
            "held_out": options["held_out"],
            "fast": options["fast"],
            "evaluate": not options["skip_evaluation"],
            "then": training_services.SERVE,
            "if_fast": options["if_fast"],
        }
        waiting = job_like(kind=Job.Kind.TRAIN, parameters=parameters)
        if waiting is not None:
            self.stdout.write(f"The same training is already {waiting.status}; not queued.")
            return
        job = job_create(
            kind=Job.Kind.TRAIN,
            parameters=parameters,
            via=f"manage.py train_model ({getpass.getuser()}@{socket.gethostname()})",
        )
        self.stdout.write(
            f"Training queued as job {job.pk}: a worker (`manage.py db_worker --queue-name "
            "default,training`) runs it; the admin's Jobs page follows it."
        )

    def model_in_service(self) -> bool:
        """Return whether a usable model serves (saying so), or say why a new one is needed."""
        try:
            current = load_version()
        except ModelUnavailable as error:
            if str(error) != NO_MODEL:  # one serves, but cannot: say why
                self.stdout.write(f"{error} Training a new one.")
            return False
        self.stdout.write(f"Model {current.version} is in service; not training.")
        return True

    def model_fully_trained(self) -> bool:
        """Return whether the model in service is a full one (saying so), not a quick one."""
        current = model_version_in_service()
        if current is None or current.metadata.get("fast"):
            return False
        self.stdout.write(f"Model {current} is fully trained and in service; not training.")
        return True

    def check_settings(self, options: dict) -> None:
        if options["history_repeat"] is not None and options["history_repeat"] < 1:
            raise CommandError("--history-repeat must be at least 1.")
        if options["grid"] not in training.GRIDS:
            raise CommandError(
                f"--grid must be {training.GRIDS[0]} to {training.GRIDS[-1]}: larger inputs "
                "were not measured to predict within 5 ms."
            )
        if not 0 <= options["held_out"] < 1:
            raise CommandError("--held-out must be a share from 0 to below 1, such as 0.1.")
        if options["factor"] is not None and options["factor"] < 0:
            raise CommandError("--factor must be 0 or more.")
        if settings.TRAINING_AUGMENTATION_FACTOR < 0:
            raise CommandError("TRAINING_AUGMENTATION_FACTOR must be 0 or more.")
        if settings.TRAINING_JOBS == 0 or settings.TRAINING_JOBS < -1:
            raise CommandError("TRAINING_JOBS must be -1 (every core) or at least 1.")

    def write_report(self, outcome: training_services.TrainingOutcome) -> None:
        for line in describe_problems(outcome.problems):
            self.stdout.write(self.style.WARNING(line))
        metadata = outcome.result.metadata
        self.stdout.write("")
        if metadata["cv_accuracy"] is not None:
            self.stdout.write(
                f"Cross-validated accuracy ({metadata['cv_folds']} folds of the training "
                f"images): {percent(metadata['cv_accuracy'], 2)}"
            )
        self.stdout.write(
            f"On the held-out 25% of load_digits ({metadata['test_samples']} images):"
        )
        self.stdout.write(outcome.result.test_report)
        self.write_comparison(outcome)
        if outcome.evaluation:
            self.stdout.write(score_tables.format_scores(outcome.evaluation))
            self.stdout.write("(`manage.py evaluate_model` shows per-digit figures.)")
            self.stdout.write("")

    def write_verdict(self, outcome: training_services.TrainingOutcome) -> None:
        new = outcome.model_version.version
        seconds = outcome.result.metadata["train_seconds"]
        if outcome.activated and outcome.comparison.new_is_worse:
            self.stdout.write(
                self.style.WARNING(
                    f"Model {new} is worse than {outcome.previous_version} on at least one set "
                    f"above, and was put in service as asked (--activate)."
                )
            )
            return
        if outcome.activated:
            self.stdout.write(
                self.style.SUCCESS(f"Model {new} trained in {seconds:.1f} s and put in service.")
            )
            return
        self.stdout.write(
            self.style.WARNING(
                f"Model {new} is worse than {outcome.previous_version} on at least one "
                f"set above (by more than {training_services.TOLERANCE:.0%}): saved, but NOT put "
                f"in service. Activate it anyway with `manage.py activate_model {new}` "
                "or train with --activate."
            )
        )

    def write_comparison(self, outcome: training_services.TrainingOutcome) -> None:
        current = outcome.previous_version or "none"
        new = outcome.model_version.version
        self.stdout.write(f"{'accuracy on':{LABEL_WIDTH}} {'samples':>8} {current:>14} {new:>14}")
        for name, samples, current_accuracy, new_accuracy in outcome.comparison.rows:
            shown = name if len(name) <= LABEL_WIDTH else "…" + name[-(LABEL_WIDTH - 1) :]
            self.stdout.write(
                f"{shown:{LABEL_WIDTH}} {samples:8d} {percent(current_accuracy, 2):>14} "
                f"{percent(new_accuracy, 2):>14}"
            )
        self.stdout.write("")
