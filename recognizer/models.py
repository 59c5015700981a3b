from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

DIGIT_CHOICES = [(digit, str(digit)) for digit in range(10)]
DIGIT_VALIDATORS = [MinValueValidator(0), MaxValueValidator(9)]


class Prediction(models.Model):
    """One drawing someone sent, the model's guess, and the corrected label."""

    class Source(models.TextChoices):
        PAGE = "page", "drawing page"
        API = "api", "API"

    class LabelSource(models.TextChoices):
        SESSION = "session", "the person drawing"
        TOKEN = "token", "API caller with the feedback token"
        STAFF = "staff", "staff review"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    drawing = models.ImageField(upload_to="drawings/%Y/%m/%d/", max_length=200, unique=True)
    features = models.JSONField(help_text="The 8x8 model input, row by row, values 0..16.")
    digit = models.PositiveSmallIntegerField(
        "guess", choices=DIGIT_CHOICES, validators=DIGIT_VALIDATORS, db_index=True
    )
    confidence = models.FloatField(help_text="The guessed digit's probability.")
    probabilities = models.JSONField(help_text="Probability of each digit 0..9.")
    model_version = models.CharField(max_length=64, db_index=True)
    label = models.PositiveSmallIntegerField(
        "corrected label",
        choices=DIGIT_CHOICES,
        validators=DIGIT_VALIDATORS,
        null=True,
        blank=True,
        db_index=True,
        help_text="The digit that was really drawn, if someone said so.",
    )
    labelled_at = models.DateTimeField(null=True, blank=True)
    label_source = models.CharField(
        "labelled by", max_length=8, choices=LabelSource.choices, blank=True, default=""
    )
    labelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="reviewer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.API)
    session_key = models.CharField(max_length=40, blank=True, default="", db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = "created_at"

    def __str__(self) -> str:
        return f"Drawing {self.pk}: guessed {self.digit}"

    @property
    def is_correct(self) -> bool | None:
        """Whether the guess was right, or None while nobody has said."""
        return None if self.label is None else self.label == self.digit
