from rest_framework import serializers

from recognizer.api.fields import DrawingField, UploadedDrawingField
from recognizer.ml.training import input_grid
from recognizer.models import ModelVersion, Prediction
from recognizer.tokens import feedback_token

REPLACES_HELP = (
    "Optional: the id of this session's earlier, unlabelled prediction of the same "
    "drawing. It is deleted when this one is stored, so a drawing guessed while it "
    "is drawn leaves one prediction. Another session's or a labelled one: 403."
)


class PredictRequestSerializer(serializers.Serializer):
    """A prediction request in JSON: the drawing as a data URI."""

    image = DrawingField()
    # Bounded like the primary key, so no id can overflow the database's integer.
    replaces = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**63 - 1, help_text=REPLACES_HELP
    )


class PredictUploadRequestSerializer(PredictRequestSerializer):
    """A prediction request as a multipart form: the drawing as a file."""

    image = UploadedDrawingField(help_text="A PNG, JPEG or WebP image file.")


class PredictionSerializer(serializers.ModelSerializer):
    """The answer to a prediction request."""

    probabilities = serializers.ListField(
        child=serializers.FloatField(),
        min_length=10,
        max_length=10,
        help_text="Probability of each digit 0..9; they sum to 1.",
    )
    features = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=16),
        min_length=64,
        max_length=64,
        help_text="What the model saw: the 8x8 input row by row, 0 (paper) to 16 (ink).",
    )
    feedback_token = serializers.SerializerMethodField(
        help_text="Send it back with feedback on this prediction to prove it is yours."
    )

    class Meta:
        model = Prediction
        fields = [
            "id",
            "digit",
            "confidence",
            "probabilities",
            "model_version",
            "created_at",
            "features",
            "feedback_token",
        ]
        read_only_fields = fields

    def get_feedback_token(self, prediction: Prediction) -> str:
        return feedback_token(prediction.pk)


class StoredPredictionSerializer(serializers.ModelSerializer):
    """A stored prediction as staff see it, with its drawing and label."""

    probabilities = serializers.ListField(child=serializers.FloatField())
    features = serializers.ListField(child=serializers.IntegerField())
    drawing_url = serializers.SerializerMethodField(help_text="The stored drawing (PNG).")
    label_source = serializers.ChoiceField(
        choices=Prediction.LabelSource.choices,
        allow_blank=True,
        help_text="Who gave the label; empty while unlabelled.",
    )
    is_correct = serializers.BooleanField(
        allow_null=True, help_text="Whether the guess was right; null while unlabelled."
    )

    class Meta:
        model = Prediction
        fields = [
            "id",
            "created_at",
            "digit",
            "confidence",
            "probabilities",
            "model_version",
            "label",
            "labelled_at",
            "label_source",
            "is_correct",
            "source",
            "features",
            "drawing_url",
        ]
        read_only_fields = fields

    def get_drawing_url(self, prediction: Prediction) -> str:
        request = self.context.get("request")
        url = prediction.drawing_url
        return request.build_absolute_uri(url) if request is not None else url


class PredictionFilterSerializer(serializers.Serializer):
    """Query parameters of the history list."""

    digit = serializers.IntegerField(
        min_value=0, max_value=9, required=False, help_text="The guessed digit."
    )
    label = serializers.IntegerField(
        min_value=0, max_value=9, required=False, help_text="The corrected label."
    )
    correct = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: labelled and right; false: labelled and wrong.",
    )
    model_version = serializers.CharField(max_length=64, required=False)
    created_after = serializers.DateTimeField(required=False, help_text="Inclusive.")
    created_before = serializers.DateTimeField(required=False, help_text="Exclusive.")


class FeedbackSerializer(serializers.Serializer):
    label = serializers.IntegerField(
        min_value=0, max_value=9, help_text="The digit that was really drawn."
    )
    token = serializers.CharField(
        required=False,
        max_length=64,
        help_text="The prediction's feedback_token (not needed from its browser session "
        "or as staff).",
    )


class EvaluationSetSerializer(serializers.Serializer):
    samples = serializers.IntegerField()
    accuracy = serializers.FloatField()
    per_class = serializers.ListField(
        child=serializers.FloatField(), help_text="Accuracy on each digit, 0 to 9."
    )
    calibration_error = serializers.FloatField(
        help_text="Expected calibration error of the confidence (0: the confidence is "
        "exactly how often the guess is right)."
    )
    confusion = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="Confusion matrix: row = true digit, column = guess.",
    )


class ComparisonSetSerializer(serializers.Serializer):
    samples = serializers.IntegerField()
    accuracy = serializers.FloatField()


class ModelInfoSerializer(serializers.ModelSerializer):
    """A model version as the API describes it: how it was made and how good it is."""

    trained_at = serializers.DateTimeField(source="created_at")
    parameters = serializers.DictField(source="metadata.parameters")
    input_size = serializers.SerializerMethodField(
        help_text='The grid the drawing is counted on, such as "8x8": the features stored '
        "with each prediction are its cells row by row."
    )
    training_samples = serializers.IntegerField(
        source="metadata.training_samples",
        help_text="Rows trained on: every data set's training images, their distorted copies "
        "and the repeated corrected drawings.",
    )
    history_samples = serializers.IntegerField(
        source="metadata.history_samples",
        help_text="Corrected drawings from the history that were trained on.",
    )
    cv_accuracy = serializers.FloatField(
        source="metadata.cv_accuracy",
        allow_null=True,
        help_text="Accuracy of cross-validation on the undistorted training images "
        "(null if not run).",
    )
    test_accuracy = serializers.FloatField(
        source="metadata.test_accuracy", help_text="Accuracy on the held-out 25% of load_digits."
    )
    comparison = serializers.DictField(
        source="metadata.comparison",
        default=dict,
        child=ComparisonSetSerializer(),
        help_text="Accuracy on the sets a new model must not do worse on than the one it "
        "replaces: load_digits' held-out split, the held-out corrected history and the "
        "held-out part of each imported data set.",
    )
    training_data = serializers.DictField(
        child=serializers.DictField(),
        help_text="What it learnt from, by data set (as given to train_model --dataset): its "
        "kind, its files with their SHA-256 (a folder's: that of its listing), the images "
        "learnt from in all and per digit, those held out and skipped, and the distorted "
        "copies of each image (copies_each) or the times each drawing counted (repeat).",
    )
    evaluation = serializers.DictField(
        child=EvaluationSetSerializer(),
        help_text="Figures on drawing-like sets never trained on (load_digits' held-out split "
        "drawn 280x280, synthetic pen-stroke digits), by set; empty if not evaluated.",
    )
    libraries = serializers.DictField(child=serializers.CharField())

    class Meta:
        model = ModelVersion
        fields = [
            *("version", "algorithm", "trained_at", "trained_by", "parameters", "input_size"),
            *("training_data", "training_samples", "history_samples", "cv_accuracy"),
            *("test_accuracy", "comparison", "evaluation", "libraries", "sha256"),
        ]
        read_only_fields = fields

    def get_input_size(self, model_version: ModelVersion) -> str:
        """Return the model's input size, such as "8x8"."""
        grid = input_grid(model_version.metadata)
        return f"{grid}x{grid}"


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What was wrong, for a person to read.")
    code = serializers.CharField(help_text="A stable machine-readable reason.")
    errors = serializers.DictField(
        required=False, help_text="Per-field messages, for validation errors."
    )
