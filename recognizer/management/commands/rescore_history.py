from django.core.management.base import BaseCommand, CommandError, CommandParser

from recognizer.history import rescoring
from recognizer.history.drawings import StorageUnavailable
from recognizer.management.progress import ProgressBar
from recognizer.ml.guessing import ModelUnavailable
from recognizer.registry.serving import load_version


class Command(BaseCommand):
    help = (
        "Guess every labelled drawing again with each version named, so that the "
        "statistics page compares them on exactly the same drawings. Drawings a "
        "version has guessed already are not guessed again: run it again after more "
        "drawings were labelled."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: object) -> CommandParser:
        # Here `--version` names model versions, in place of Django's own option.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--version",
            action="append",
            required=True,
            dest="versions",
            metavar="VERSION",
            help="A version shown by `manage.py list_models`; repeat it for several.",
        )
        parser.add_argument(
            "--batch", type=int, default=500, help="drawings guessed per run of the model [500]"
        )

    def handle(self, *args: object, **options: object) -> None:
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1.")
        try:
            # Every version loads before any is run: a typo fails at once.
            models = [load_version(version) for version in dict.fromkeys(options["versions"])]
        except ModelUnavailable as error:
            raise CommandError(str(error)) from None
        for model in models:
            try:
                outcome = rescoring.rescores_create(
                    model=model, batch_size=options["batch"], progress=ProgressBar(self.stdout)
                )
            except StorageUnavailable as error:
                raise CommandError(f"{error} Nothing more was rescored.") from None
            self.stdout.write(
                f"Model {outcome.version}: {outcome.rescored} drawings guessed again."
            )
            if outcome.skipped:
                self.stdout.write(
                    self.style.WARNING(
                        f"{outcome.skipped} drawings skipped (file missing or unreadable)."
                    )
                )
        self.stdout.write(
            self.style.SUCCESS(
                "The statistics page compares the rescored versions on the drawings all of "
                "them guessed."
            )
        )
