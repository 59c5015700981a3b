from django.core.management.base import BaseCommand, CommandError, CommandParser

from recognizer.registry import services as registry

VIA = "manage.py activate_model"


class Command(BaseCommand):
    help = (
        "Put a trained model version in service, or roll back to the one that "
        "served before; or make a version the challenger, which guesses every new "
        "drawing in shadow, then stop it or promote it. Every server switches "
        "within seconds, without a restart."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("version", nargs="?", help="A version shown by `manage.py list_models`.")
        which.add_argument(
            "--rollback",
            action="store_true",
            help="Put back the version that served before the one in service.",
        )
        which.add_argument(
            "--challenger",
            metavar="VERSION",
            help="Make this version the challenger (in place of any other).",
        )
        which.add_argument(
            "--no-challenger", action="store_true", help="Stop the challenger guessing."
        )
        which.add_argument(
            "--promote",
            action="store_true",
            help="Put the challenger in service in place of the version serving now.",
        )

    def handle(self, *args: object, **options: object) -> None:
        try:
            message = self.change(options)
        except registry.RegistryError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(message))

    def change(self, options: dict) -> str:
        """Make the change asked for; return what it did, in a sentence."""
        if options["challenger"]:
            version = registry.model_version_challenge(version=options["challenger"], via=VIA)
            return f"Model {version} is now the challenger: it guesses every new drawing too."
        if options["no_challenger"]:
            version = registry.model_version_stop_challenge(via=VIA)
            return f"Model {version} is no longer the challenger."
        if options["promote"]:
            version = registry.model_version_promote(via=VIA)
            return f"Model {version}, the challenger, is now in service."
        if options["rollback"]:
            version = registry.model_version_rollback(via=VIA)
        else:
            version = registry.model_version_activate(version=options["version"], via=VIA)
        return f"Model {version} is now in service."
