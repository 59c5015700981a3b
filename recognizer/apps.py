from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RecognizerConfig(AppConfig):
    name = "recognizer"
    verbose_name = "Digit recognizer"

    def ready(self) -> None:
        # Registers the OpenAPI description of our authentication class.
        from recognizer.api import schema  # noqa: F401

        post_migrate.connect(drift_watch_start, sender=self)


def drift_watch_start(**kwargs: object) -> None:
    """Queue the periodic drift check once the tables exist (every deployment migrates),
    unless one is queued already; workers keep it going from then on."""
    from recognizer.tasks import drift_watch_soon

    if kwargs.get("using", "default") == "default":
        drift_watch_soon()
