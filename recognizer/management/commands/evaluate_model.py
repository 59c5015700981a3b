import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from recognizer import retraining
from recognizer.ml import artifacts, evaluation


class Command(BaseCommand):
    help = (
        "Evaluate a trained model on sets it was not trained on: load_digits' held-out "
        "25% drawn large (280x280, nearest and bilinear upscaling) and synthetic "
        "pen-stroke digits on transparent and white backgrounds, all sent through "
        "the same PNG decoding as the API. Prints accuracy, per-digit accuracy and "
        "the confusion matrix of each set."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--model", help="Model version to evaluate (default: the one in service)."
        )
        parser.add_argument(
            "--per-class",
            type=int,
            default=retraining.EVALUATION_PER_CLASS,
            help="Synthetic drawings per digit and background "
            f"(default {retraining.EVALUATION_PER_CLASS}).",
        )
        parser.add_argument(
            "--record",
            action="store_true",
            help="Also keep the figures in the model's metadata (shown by /api/model/).",
        )

    def handle(self, *args: object, **options: object) -> None:
        directory = Path(settings.MODEL_DIR)
        if options["per_class"] < 1:
            raise CommandError("--per-class must be at least 1.")
        try:
            version = options["model"] or artifacts.active_version(directory)
            pipeline, metadata = artifacts.load_artifact(directory, version)
        except artifacts.ArtifactError as error:
            raise CommandError(str(error)) from None

        self.stdout.write(f"Evaluating model {version}...")
        scores = retraining.evaluate(pipeline, per_class=options["per_class"])
        self.stdout.write(evaluation.format_scores(scores, detail=True))
        if options["record"]:
            metadata = {**metadata, "evaluation": retraining.evaluation_metadata(scores)}
            artifacts.write_atomically(
                artifacts.metadata_path(directory, version),
                json.dumps(metadata, indent=2, sort_keys=True).encode(),
            )
            self.stdout.write(self.style.SUCCESS(f"Figures recorded with model {version}."))
