from django.core.management.base import BaseCommand, CommandError

from recognizer.monitoring import drift
from recognizer.monitoring.readings import reading_of


class Command(BaseCommand):
    help = (
        "Compare the last DRIFT_WINDOW predictions of the model in service with what it "
        "guessed on its evaluation set (population stability index of the guessed digits "
        "and of the confidence), store the result and say what it means. With --if-due, "
        "only if no check ran in the last DRIFT_EVERY minutes on any server."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--if-due",
            action="store_true",
            help="Check only if one is due (at most one every DRIFT_EVERY minutes).",
        )
        parser.add_argument(
            "--window", type=int, help="How many recent predictions (default DRIFT_WINDOW)."
        )

    def handle(self, *args: object, **options: object) -> None:
        if options["if_due"]:
            check = drift.drift_check_if_due()
            if check is None:
                self.stdout.write("No drift check was due, or none could be made.")
                return
        else:
            try:
                check = drift.drift_check_create(window=options["window"])
            except drift.DriftNotChecked as reason:
                raise CommandError(str(reason)) from None
        reading = reading_of(check)
        self.stdout.write(
            f"Model {check.model_version}, last {check.predictions} predictions: "
            f"PSI of the guessed digits {check.digits_psi:.3f}, "
            f"of the confidence {check.confidence_psi:.3f}."
        )
        for sentence in reading.sentences:
            self.stdout.write(sentence)
        if reading.warning:
            self.stdout.write(self.style.WARNING(reading.warning))
