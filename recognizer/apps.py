from django.apps import AppConfig


class RecognizerConfig(AppConfig):
    name = "recognizer"
    verbose_name = "Digit recognizer"

    def ready(self) -> None:
        # Registers the OpenAPI description of our authentication class.
        from recognizer.api import schema  # noqa: F401
