"""Review of past guesses in the Django admin."""

from recognizer.admin.predictions import PredictionAdmin

__all__ = ["PredictionAdmin"]
