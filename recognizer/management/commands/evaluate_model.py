from django.core.management.base import BaseCommand, CommandError, CommandParser

from recognizer.history.drawings import StorageUnavailable
from recognizer.management.progress import ProgressBar
from recognizer.ml import refusals, score_tables
from recognizer.ml.datasets import HELD_OUT, DatasetError, describe_problems, parse_datasets
from recognizer.ml.guessing import ModelUnavailable
from recognizer.registry import evaluation as model_evaluation
from recognizer.registry.selectors import model_version_get
from recognizer.registry.services import model_version_record_evaluation
from recognizer.registry.serving import load_version
from recognizer.training import sets as training_sets


class Command(BaseCommand):
    help = (
        "Evaluate a trained model on sets it was not trained on: load_digits' held-out "
        "25% drawn large (280x280, nearest and bilinear upscaling) and synthetic "
        "pen-stroke digits on transparent and white backgrounds, all sent through "
        "the same PNG decoding as the API; or, with --dataset, on any data set. Prints "
        "accuracy, per-digit accuracy and the confusion matrix of each set."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--model", help="Model version to evaluate (default: the one in service)."
        )
        parser.add_argument(
            "--dataset",
            action="append",
            default=[],
            metavar="DATASET",
            help="Score this data set instead of the drawing-like sets; repeatable. DATASET "
            "is digits, history, folder:PATH, idx:IMAGES,LABELS or csv:PATH, as for "
            "train_model.",
        )
        parser.add_argument(
            "--held-out",
            action="store_true",
            help="Score only the part of each --dataset that training keeps out (load_digits' "
            "test quarter, every fifth labelled drawing, the model's held-out share of an "
            "imported set), so a model is never scored on what it learnt.",
        )
        parser.add_argument(
            "--per-class",
            type=int,
            default=model_evaluation.EVALUATION_PER_CLASS,
            help="Synthetic drawings per digit and background, and non-digits per kind "
            f"(default {model_evaluation.EVALUATION_PER_CLASS}).",
        )
        parser.add_argument(
            "--record",
            action="store_true",
            help="Also keep the figures in the model's metadata (shown by /api/model/).",
        )

    def handle(self, *args: object, **options: object) -> None:
        if options["per_class"] < 1:
            raise CommandError("--per-class must be at least 1.")
        if options["held_out"] and not options["dataset"]:
            raise CommandError("--held-out applies to --dataset sets.")
        try:
            model = load_version(options["model"])
        except ModelUnavailable as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Evaluating model {model.version}...")
        if options["dataset"]:
            scores = self.score_datasets(model.metadata, model.pipeline, options)
        else:
            scores = model_evaluation.evaluate(model.pipeline, per_class=options["per_class"])
        self.stdout.write(score_tables.format_scores(scores, detail=True))
        if not options["dataset"]:
            self.write_refusals(model, options["per_class"])
        if options["record"]:
            figures = model_evaluation.evaluation_metadata(scores)
            if options["dataset"]:  # beside the figures recorded already
                recorded = model_version_get(version=model.version).evaluation
                figures = {**recorded, **figures}
            model_version_record_evaluation(version=model.version, evaluation=figures)
            self.stdout.write(self.style.SUCCESS(f"Figures recorded with model {model.version}."))

    def write_refusals(self, model: object, per_class: int) -> None:
        """Print how often the model refuses non-digits, and digits, as no digit."""
        threshold = model.refusal_threshold
        if threshold is None:
            self.stdout.write("This model never refuses a drawing as no digit.")
            return
        self.stdout.write(f"\nNot a digit: score above {threshold:.4g}")
        rates = model_evaluation.refusal_rates(model.pipeline, per_class=per_class)
        self.stdout.write(refusals.format_rates(rates))

    def score_datasets(self, metadata: dict, pipeline: object, options: dict) -> dict:
        """Return the scores on each --dataset, after saying what was skipped."""
        # The share this model was trained without (models from before imported
        # data sets held out the default share, had they had any).
        share = metadata.get("parameters", {}).get("held_out", HELD_OUT)
        try:
            specs = parse_datasets(options["dataset"])
            progress = ProgressBar(self.stdout)
            datasets = training_sets.open_datasets(specs, progress=progress)
            scores, problems = model_evaluation.evaluate_datasets(
                pipeline=pipeline,
                datasets=datasets,
                held_out=share if options["held_out"] else None,
                progress=progress,
            )
        except (DatasetError, StorageUnavailable) as error:
            raise CommandError(str(error)) from None
        for line in describe_problems(problems):
            self.stdout.write(self.style.WARNING(line))
        empty = [name for name, score in scores.items() if not score.n]
        if empty:
            raise CommandError(f"No usable image to score in {', '.join(empty)}.")
        return scores
