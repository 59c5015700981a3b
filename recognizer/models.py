from dataclasses import dataclass

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from recognizer.ml.guessing import margin_of
from recognizer.storage import drawing_storage, model_storage

DIGIT_CHOICES = [(digit, str(digit)) for digit in range(10)]
DIGIT_VALIDATORS = [MinValueValidator(0), MaxValueValidator(9)]
# A label: the digit really drawn, or NOT_A_DIGIT for a drawing that is none.
NOT_A_DIGIT = 10
LABEL_CHOICES = [*DIGIT_CHOICES, (NOT_A_DIGIT, "Not a digit")]
LABEL_VALIDATORS = [MinValueValidator(0), MaxValueValidator(NOT_A_DIGIT)]


class MarginField(models.FloatField):
    """The margin between the two likeliest digits, kept for its index.

    A row inserted without one (by save() or bulk_create alike) gets it
    from its probabilities, so the queue of drawings to review never misses
    a row whichever code wrote it.
    """

    def pre_save(self, model_instance: models.Model, add: bool) -> float:
        if getattr(model_instance, self.attname) is None:
            setattr(model_instance, self.attname, margin_of(model_instance.probabilities))
        return getattr(model_instance, self.attname)


@dataclass(frozen=True)
class ChallengerGuess:
    """The challenger's guess of a drawing, stored beside the one served."""

    model_version: str
    digit: int
    confidence: float


class Prediction(models.Model):
    """One drawing someone sent, the model's guess, and the corrected label."""

    class Source(models.TextChoices):
        PAGE = "page", "drawing page"
        API = "api", "API"

    class Labeller(models.TextChoices):
        SESSION = "session", "the person drawing"
        TOKEN = "token", "API caller with the feedback token"
        STAFF = "staff", "staff review"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    drawing = models.ImageField(
        upload_to="drawings/%Y/%m/%d/", storage=drawing_storage, max_length=200, unique=True
    )
    features = models.JSONField(
        help_text="The model input, row by row, values 0..16: 8x8 cells, or the grid the "
        "model version was trained on."
    )
    digit = models.PositiveSmallIntegerField(
        "guess",
        choices=DIGIT_CHOICES,
        validators=DIGIT_VALIDATORS,
        help_text="The digit the model guessed.",
    )
    confidence = models.FloatField(help_text="The guessed digit's probability.")
    margin = MarginField(
        help_text="The guessed digit's probability minus the second highest: small when "
        "the model hesitated between two digits."
    )
    probabilities = models.JSONField(help_text="Probability of each digit 0..9.")
    model_version = models.CharField(max_length=64)
    # The challenger's guess, never shown to the person drawing; null
    # together when no challenger was running (null, not "", for the version
    # too: adding three nullable columns needs no rebuild of a large table).
    challenger_version = models.CharField(  # noqa: DJ001
        max_length=64, null=True, blank=True, help_text="The challenger that also guessed."
    )
    challenger_digit = models.PositiveSmallIntegerField(
        choices=DIGIT_CHOICES,
        validators=DIGIT_VALIDATORS,
        null=True,
        blank=True,
        help_text="The digit the challenger guessed.",
    )
    challenger_confidence = models.FloatField(
        null=True, blank=True, help_text="The challenger's probability of its guess."
    )
    # Null for rows stored before models could refuse (no table rebuild either).
    not_a_digit = models.BooleanField(
        null=True,
        blank=True,
        help_text="The model found the drawing looks like no digit (its guess is the nearest).",
    )
    label = models.PositiveSmallIntegerField(
        choices=LABEL_CHOICES,
        validators=LABEL_VALIDATORS,
        null=True,
        blank=True,
        help_text="The digit that was really drawn, or 'not a digit', if someone said so.",
    )
    labelled_at = models.DateTimeField(null=True, blank=True)
    labeller = models.CharField(
        max_length=8,
        choices=Labeller.choices,
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
        # The history is read newest first (created_at, then id), often filtered
        # by one column: each filtered column leads an index that then gives its
        # rows in that order, so a page of 50 is a short index range, never a sort
        # of every match nor a long walk down the date index (see
        # selectors.of_model_version). Labelled rows, a minority, have their own
        # index, covering the right/wrong comparison of label and guess. Sorting
        # by confidence, to find doubtful guesses, has its index too.
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
            # Least certain first: the history by margin, and the review queue
            # (unlabelled rows by margin; led by the label, as SQLite's planner
            # without statistics otherwise takes the label's index and sorts).
            models.Index(fields=["margin", "id"], name="prediction_margin"),
            models.Index(fields=["label", "margin", "id"], name="prediction_to_review"),
            # Predictions the challenger guessed too, newest first: its
            # figures since it started, and the disagreements to review.
            models.Index(
                fields=["created_at", "id"],
                condition=Q(challenger_digit__isnull=False),
                name="prediction_challenged_recent",
            ),
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

    def label_is_final_for(self, labeller: str) -> bool:
        """Whether a label from `labeller` is refused: a reviewer's label is final for
        the person who drew it (page session or feedback token); staff may relabel."""
        return self.labeller == self.Labeller.STAFF and labeller != self.Labeller.STAFF

    def label_final_reason(self) -> str:
        """Return why the drawer may no longer change the label, for a person to read."""
        given = self.get_label_display().lower()
        return f"A reviewer has labelled this drawing as {given}; that label is final."

    @property
    def is_correct(self) -> bool | None:
        """Whether the guess was right, or None while nobody has said or when it was
        no digit (a guess of a non-digit is neither right nor wrong)."""
        if self.label is None or self.label == NOT_A_DIGIT:
            return None
        return self.label == self.digit

    @property
    def challenger_guess(self) -> ChallengerGuess | None:
        """Return the challenger's guess of this drawing, or None if none was running."""
        if self.challenger_digit is None:
            return None
        return ChallengerGuess(
            model_version=self.challenger_version,
            digit=self.challenger_digit,
            confidence=self.challenger_confidence,
        )


class ToReviewManager(models.Manager):
    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(label__isnull=True)


class PredictionToReview(Prediction):
    """The drawings nobody has labelled yet, least certain guess first: the review queue.

    Governed by the predictions' own permissions (it has none of its own).
    """

    objects = ToReviewManager()

    class Meta:
        proxy = True
        ordering = ["margin", "id"]
        default_permissions = ()
        verbose_name = "drawing to review"
        verbose_name_plural = "drawings to review"


class ModelVersion(models.Model):
    """One trained model: its artifact, how it was made and how good it is.

    The version is a prefix of the artifact's SHA-256, so the same model
    always has the same name. At most one version is in service
    and at most one is the challenger (guessing in shadow).
    """

    class Role(models.TextChoices):
        IN_SERVICE = "active", "in service"
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


class Rescore(models.Model):
    """A labelled drawing guessed again by a model version (`manage.py rescore_history`),
    so that versions can be compared on exactly the same drawings."""

    prediction = models.ForeignKey(Prediction, on_delete=models.CASCADE, related_name="rescores")
    model_version = models.CharField(max_length=64)
    digit = models.PositiveSmallIntegerField(choices=DIGIT_CHOICES, validators=DIGIT_VALIDATORS)
    confidence = models.FloatField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["model_version", "prediction"], name="one_rescore_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"Drawing {self.prediction_id} guessed {self.digit} by {self.model_version}"


class LabelChange(models.Model):
    """One change of a drawing's label: the label given (None: cleared), by whom, when.

    Kept for every change, so that a reviewer can see how a label came to be.
    """

    prediction = models.ForeignKey(
        Prediction, on_delete=models.CASCADE, related_name="label_changes"
    )
    label = models.PositiveSmallIntegerField(
        choices=LABEL_CHOICES, validators=LABEL_VALIDATORS, null=True, blank=True
    )
    labeller = models.CharField(max_length=8, choices=Prediction.Labeller.choices)
    labelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        given = "cleared" if self.label is None else f"labelled {self.get_label_display()}"
        return f"Drawing {self.prediction_id} {given} by {self.get_labeller_display()}"


class DriftCheck(models.Model):
    """Recent guesses of the model in service compared with its guesses on its
    evaluation set: the population stability index (PSI) of each dimension."""

    checked_at = models.DateTimeField(default=timezone.now, db_index=True)
    model_version = models.CharField(max_length=64)
    predictions = models.PositiveIntegerField(
        help_text="How many recent predictions were compared."
    )
    digits_psi = models.FloatField(
        "PSI of the guessed digits", help_text="How far the mix of guessed digits moved."
    )
    confidence_psi = models.FloatField(
        "PSI of the confidence", help_text="How far the guesses' confidence moved."
    )
    recent = models.JSONField(
        help_text="The recent guesses' profile: digit shares, confidence bins."
    )
    baseline = models.JSONField(help_text="The same profile on the evaluation set.")

    class Meta:
        ordering = ["-checked_at", "-id"]
        get_latest_by = "checked_at"

    def __str__(self) -> str:
        return f"Drift of {self.model_version} at {self.checked_at:%Y-%m-%d %H:%M}"


class DriftSchedule(models.Model):
    """When the next drift check is due: one row, moved forward by whichever server
    claims the check, so that one check runs at a time across servers."""

    next_check_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Next drift check at {self.next_check_at:%Y-%m-%d %H:%M}"


class Job(models.Model):
    """A training, rescoring or export run by a worker (`manage.py db_worker`): what was
    asked, by whom, how far it got, and how it ended. Kept after it ends."""

    class Kind(models.TextChoices):
        TRAIN = "train", "training"
        RESCORE = "rescore", "rescoring"
        EXPORT = "export", "export"

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        SUCCEEDED = "succeeded", "succeeded"
        FAILED = "failed", "failed"
        CANCELLED = "cancelled", "cancelled"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_via = models.CharField(
        max_length=100, help_text="The page, API or setting that asked for it."
    )
    parameters = models.JSONField(default=dict, help_text="What was asked for.")
    progress = models.FloatField(default=0.0, help_text="How far it got, from 0 to 1.")
    stage = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of the worker running it."
    )
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Times a worker started it (a second after a worker was lost)."
    )
    cancel_requested = models.BooleanField(default=False)
    task_id = models.CharField(
        max_length=64, blank=True, default="", help_text="The task of its latest run."
    )
    log = models.TextField(blank=True, default="", help_text="The last lines of its log.")
    result = models.JSONField(default=dict, blank=True, help_text="What it made.")
    error = models.CharField(max_length=500, blank=True, default="", help_text="Why it failed.")

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = "created_at"
        indexes = [
            models.Index(fields=["status", "created_at", "id"], name="job_status_recent"),
            models.Index(fields=["kind", "created_at", "id"], name="job_kind_recent"),
        ]

    def __str__(self) -> str:
        return f"Job {self.pk}: {self.get_kind_display()}, {self.get_status_display()}"


FINISHED = (Job.Status.SUCCEEDED, Job.Status.FAILED, Job.Status.CANCELLED)


class LabelCount(models.Model):
    """Labels counted towards the next automatic training (RETRAIN_AFTER_LABELS): one
    row, locked while counting, so that one label alone crosses the threshold."""

    # The one counter's name: labels since the last training was queued.
    RETRAINING = "retraining"

    name = models.CharField(max_length=32, unique=True)
    labels = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.labels}"
