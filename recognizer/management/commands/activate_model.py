from django.core.management.base import BaseCommand, CommandError, CommandParser

from recognizer import registry

VIA = "manage.py activate_model"


class Command(BaseCommand):
    help = (
        "Put a trained model version in service, or roll back to the one that "
        "served before. Every server switches within seconds, without a restart."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("version", nargs="?", help="A version shown by `manage.py list_models`.")
        which.add_argument(
            "--rollback",
            action="store_true",
            help="Put back the version that served before the one in service.",
        )

    def handle(self, *args: object, **options: object) -> None:
        try:
            if options["rollback"]:
                model_version = registry.model_version_rollback(via=VIA)
            else:
                model_version = registry.model_version_activate(version=options["version"], via=VIA)
        except registry.RegistryError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"Model {model_version} is now in service."))
