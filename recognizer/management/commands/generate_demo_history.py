import random
import time
from itertools import islice

from django.core.management.base import BaseCommand, CommandError, CommandParser
from threadpoolctl import threadpool_limits

from recognizer.history import demo, services
from recognizer.ml.guessing import ModelUnavailable
from recognizer.registry.serving import served_models


class Command(BaseCommand):
    help = (
        "Store N realistic predictions (drawings, guesses, some labels) spread over "
        "the past months, a batch per transaction. For demos and tests at scale."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, required=True, help="how many predictions")
        parser.add_argument(
            "--days", type=int, default=180, help="spread over this many past days [180]"
        )
        parser.add_argument(
            "--labelled",
            type=float,
            default=0.1,
            help="fraction labelled with the digit really drawn [0.1]",
        )
        parser.add_argument(
            "--drawings", type=int, default=200, help="distinct drawings to render [200]"
        )
        parser.add_argument(
            "--versions", type=int, default=3, help="model versions, the last in service [3]"
        )
        parser.add_argument("--batch", type=int, default=2000, help="rows per transaction [2000]")
        parser.add_argument("--seed", type=int, default=None, help="for a reproducible history")

    def handle(self, *args: object, **options: object) -> None:
        settings = demo.DemoSettings(
            count=options["count"],
            days=options["days"],
            labelled=options["labelled"],
            versions=options["versions"],
        )
        if min(settings.count, settings.days, settings.versions, options["drawings"]) < 1:
            raise CommandError("--count, --days, --drawings, --versions and --batch must be >= 1.")
        if options["batch"] < 1:
            raise CommandError("--count, --days, --drawings, --versions and --batch must be >= 1.")
        if not 0 <= settings.labelled <= 1:
            raise CommandError("--labelled is a fraction between 0 and 1.")
        try:
            model = served_models().in_service()
        except ModelUnavailable as error:
            raise CommandError(str(error)) from None
        rng = random.Random(options["seed"])
        started = time.perf_counter()
        # One sample at a time: scikit-learn's thread pools only slow that down.
        with threadpool_limits(1):
            templates = demo.render_templates(options["drawings"], model, rng)
        right = sum(template.digit == template.truth for template in templates)
        self.stdout.write(
            f"{len(templates)} drawings rendered and guessed in "
            f"{time.perf_counter() - started:.1f} s (the model is right on {right})."
        )
        versions = demo.model_versions(model, settings.versions)
        stored = labelled = 0
        rows = demo.demo_predictions(settings, templates, versions, rng)
        for batch in iter(lambda: list(islice(rows, options["batch"])), []):
            predictions, pngs = zip(*batch, strict=True)
            services.predictions_store(predictions=predictions, pngs=pngs)
            stored += len(predictions)
            labelled += sum(prediction.label is not None for prediction in predictions)
            if options["verbosity"] >= 2:
                self.stdout.write(f"  {stored} stored ({time.perf_counter() - started:.0f} s)")
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"{stored} predictions stored in {elapsed:.1f} s ({stored / elapsed:.0f} a "
                f"second), spread over the past {settings.days} days: {labelled} labelled, "
                f"{len(versions)} model versions, each row with its own file."
            )
        )
