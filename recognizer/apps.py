from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RecognizerConfig(AppConfig):
    name = "recognizer"
    verbose_name = "Digit recognizer"

    def ready(self) -> None:
        # Here, where every layer is known, the layers above the history listen to it
        # (it never imports them), and the API describes its authentication.
        from recognizer.api import schema  # noqa: F401
        from recognizer.history.signals import labels_given
        from recognizer.jobs.retraining import labels_given_count
        from recognizer.training.promotion import labels_given_promote

        labels_given.connect(labels_given_count, dispatch_uid="recognizer.retraining")
        labels_given.connect(labels_given_promote, dispatch_uid="recognizer.promotion")
        post_migrate.connect(drift_watch_start, sender=self)


def drift_watch_start(**kwargs: object) -> None:
    """Queue the periodic drift check once the tables exist (every deployment migrates),
    unless one is queued already; workers keep it going from then on."""
    from recognizer.jobs.runner import drift_watch_soon

    if kwargs.get("using", "default") == "default":
        drift_watch_soon()
