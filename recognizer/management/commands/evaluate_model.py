from django.core.management.base import BaseCommand, CommandError, CommandParser

from recognizer import registry, retraining
from recognizer.ml import evaluation
from recognizer.ml.serving import ModelUnavailable
from recognizer.model_service import load_version


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
        if options["per_class"] < 1:
            raise CommandError("--per-class must be at least 1.")
        try:
            model = load_version(options["model"])
        except ModelUnavailable as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Evaluating model {model.version}...")
        scores = retraining.evaluate(model.pipeline, per_class=options["per_class"])
        self.stdout.write(evaluation.format_scores(scores, detail=True))
        if options["record"]:
            registry.model_version_record_evaluation(
                version=model.version, evaluation=retraining.evaluation_metadata(scores)
            )
            self.stdout.write(self.style.SUCCESS(f"Figures recorded with model {model.version}."))
