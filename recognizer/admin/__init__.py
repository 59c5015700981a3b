"""Review of past guesses in the Django admin."""

from recognizer.admin.jobs import JobAdmin
from recognizer.admin.model_versions import ModelActivationAdmin, ModelVersionAdmin
from recognizer.admin.predictions import PredictionAdmin
from recognizer.admin.review import PredictionToReviewAdmin

__all__ = [
    "JobAdmin",
    "ModelActivationAdmin",
    "ModelVersionAdmin",
    "PredictionAdmin",
    "PredictionToReviewAdmin",
]
