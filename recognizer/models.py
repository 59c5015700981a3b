from django.conf import settings
from django.core.files.storage import Storage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from recognizer.drawings import drawing_storage
from recognizer.storage import NamedStorage

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
    drawing = models.ImageField(
        upload_to="drawings/%Y/%m/%d/", storage=drawing_storage, max_length=200, unique=True
    )
    features = models.JSONField(help_text="The 8x8 model input, row by row, values 0..16.")
    digit = models.PositiveSmallIntegerField(
        choices=DIGIT_CHOICES,
        validators=DIGIT_VALIDATORS,
        help_text="The digit the model guessed.",
    )
    confidence = models.FloatField(help_text="The guessed digit's probability.")
    probabilities = models.JSONField(help_text="Probability of each digit 0..9.")
    model_version = models.CharField(max_length=64)
    label = models.PositiveSmallIntegerField(
        choices=DIGIT_CHOICES,
        validators=DIGIT_VALIDATORS,
        null=True,
        blank=True,
        help_text="The digit that was really drawn, if someone said so.",
    )
    labelled_at = models.DateTimeField(null=True, blank=True)
    label_source = models.CharField(
        max_length=8,
        choices=LabelSource.choices,
        blank=True,
        default="",
        help_text="Who gave the label; empty while unlabelled.",
    )
    labelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
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
        # The history is read newest first (created_at, then id), often
        # filtered by one column: each filtered column leads an index that
        # then gives its rows in exactly that order, so a page of 50 is a
        # short index range, never a sort of every match nor a long walk
        # down the date index (which PostgreSQL's planner may still pick for
        # model versions, which are correlated with time: see
        # selectors.of_model_version). Labelled
        # rows, a minority, have their own index, covering the right/wrong
        # comparison of label and guess. The admin sorts by confidence to
        # find doubtful guesses: an index gives the first page at once, where
        # a million rows took 0.4 s to sort.
        indexes = [
            models.Index(fields=["digit", "created_at", "id"], name="prediction_digit_recent"),
            models.Index(fields=["label", "created_at", "id"], name="prediction_label_recent"),
            models.Index(
                fields=["model_version", "created_at", "id"], name="prediction_version_recent"
            ),
            models.Index(fields=["source", "created_at", "id"], name="prediction_source_recent"),
            models.Index(
                fields=["created_at", "label", "digit"],
                condition=Q(label__isnull=False),
                name="prediction_labelled_recent",
            ),
            models.Index(fields=["confidence", "id"], name="prediction_confidence"),
            # Live accuracy per model version: its labelled rows alone.
            models.Index(
                fields=["model_version", "label", "digit"],
                condition=Q(label__isnull=False),
                name="prediction_version_labelled",
            ),
        ]

    def __str__(self) -> str:
        return f"Drawing {self.pk}: guessed {self.digit}"

    @property
    def drawing_url(self) -> str:
        """The drawing's address on this site, whatever storage holds the file."""
        return reverse("recognizer:drawing", args=[self.drawing.name])

    def drawn_in(self, session_key: str | None) -> bool:
        """Whether the drawing was made in the browser session with this key."""
        return bool(session_key) and session_key == self.session_key

    @property
    def is_correct(self) -> bool | None:
        """Whether the guess was right, or None while nobody has said."""
        return None if self.label is None else self.label == self.digit


def model_storage() -> Storage:
    """Return the storage that holds model artifacts (the "models" entry of STORAGES)."""
    return model_files


model_files = NamedStorage("models")


class ModelVersion(models.Model):
    """One trained model: its artifact, how it was made and how good it is.

    The version is a prefix of the artifact's SHA-256, so the same model
    always has the same name. At most one version is active (in service)
    and at most one is the challenger (guessing in shadow).
    """

    class Role(models.TextChoices):
        ACTIVE = "active", "in service"
        CHALLENGER = "challenger", "challenger"

    version = models.CharField(max_length=12, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    trained_by = models.CharField(
        max_length=200, help_text="Who or what trained it: a command, an account."
    )
    algorithm = models.CharField(max_length=200)
    artifact = models.FileField(storage=model_storage, max_length=200, unique=True)
    sha256 = models.CharField("SHA-256", max_length=64)
    size_bytes = models.PositiveIntegerField()
    libraries = models.JSONField(help_text="Library versions it was trained with.")
    training_data = models.JSONField(default=dict, help_text="What it learnt from.")
    evaluation = models.JSONField(
        default=dict, help_text="Figures on sets it never trained on, by set."
    )
    metadata = models.JSONField(default=dict, help_text="Parameters and training figures.")
    role = models.CharField(max_length=10, choices=Role.choices, blank=True, default="")
    role_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = "created_at"
        constraints = [
            models.UniqueConstraint(
                fields=["role"], condition=~Q(role=""), name="one_model_version_per_role"
            )
        ]
        permissions = [("activate_modelversion", "Can put a model version in service")]

    def __str__(self) -> str:
        return self.version


class ModelActivation(models.Model):
    """A change of the model in service (or of the challenger): who, when, from what."""

    class Action(models.TextChoices):
        ACTIVATE = "activate", "put in service"
        ROLLBACK = "rollback", "rolled back to"
        CHALLENGE = "challenge", "made challenger"
        STOP_CHALLENGE = "stop_challenge", "challenger stopped"
        PROMOTE = "promote", "challenger promoted"

    action = models.CharField(max_length=16, choices=Action.choices)
    version = models.ForeignKey(
        ModelVersion, null=True, on_delete=models.PROTECT, related_name="activations"
    )
    previous = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    via = models.CharField(max_length=100, help_text="The command or page that did it.")

    class Meta:
        ordering = ["-at", "-id"]
        get_latest_by = "at"

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.version} at {self.at:%Y-%m-%d %H:%M}"
