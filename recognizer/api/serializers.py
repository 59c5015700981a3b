from django.conf import settings
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from recognizer.api.exceptions import error_for
from recognizer.api.fields import (
    BatchDrawingField,
    DrawingBatchField,
    DrawingField,
    UploadedBatchDrawingField,
    UploadedDrawingField,
)
from recognizer.api.labels import LabelField
from recognizer.api.permissions import IsStaffOrDrawer
from recognizer.history.selectors import ORDERINGS
from recognizer.history.tokens import feedback_token
from recognizer.models import Prediction

REPLACES_HELP = (
    "Optional: the id of this session's earlier, unlabelled prediction of the same "
    "drawing. It is deleted when this one is stored, so a drawing guessed while it "
    "is drawn leaves one prediction. Another session's or a labelled one: 403."
)


@extend_schema_field({"type": "integer", "minimum": 1, "nullable": True, "example": ""})
class PredictionIdField(serializers.IntegerField):
    """A prediction's id, bounded like the primary key so that none overflows the
    database's integer. The bound is checked here, not declared: the API docs would
    prefill their form with a declared maximum."""

    largest = 2**63 - 1

    def __init__(self, **kwargs: object) -> None:
        super().__init__(min_value=1, **kwargs)

    def to_internal_value(self, data: object) -> int:
        value = super().to_internal_value(data)
        if value > self.largest:
            self.fail("max_value", max_value=self.largest)
        return value


class PredictRequestSerializer(serializers.Serializer):
    """A prediction request in JSON: the drawing as a data URI."""

    image = DrawingField()
    replaces = PredictionIdField(required=False, allow_null=True, help_text=REPLACES_HELP)


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
        help_text="What the model saw: its input row by row, 0 (paper) to 16 (ink), one "
        "value per cell of the model's grid (`input_size` of GET /api/model/): 64 for "
        "the default 8x8, 256 for a model trained with --grid 16.",
    )
    feedback_token = serializers.SerializerMethodField(
        help_text="Send it back with feedback on this prediction to prove it is yours."
    )
    not_a_digit = serializers.BooleanField(
        help_text="True when the drawing looks like no digit at all: say so rather than "
        "show `digit`, which is then only the nearest digit."
    )

    class Meta:
        model = Prediction
        fields = [
            "id",
            "digit",
            "not_a_digit",
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


class PredictBatchRequestSerializer(serializers.Serializer):
    """A batch prediction request in JSON: the drawings as data URIs."""

    image_field = BatchDrawingField

    def get_fields(self) -> dict[str, serializers.Field]:
        # Built for each request (and schema), so that PREDICT_BATCH_MAX is read then.
        return {
            "images": DrawingBatchField(
                child=self.image_field(),
                allow_empty=False,
                min_length=1,  # for the schema; allow_empty says it better
                max_length=settings.PREDICT_BATCH_MAX,
                help_text="The drawings, each guessed and stored as if sent alone; "
                "an image that cannot be used fails alone.",
            )
        }


class PredictBatchUploadRequestSerializer(PredictBatchRequestSerializer):
    """A batch prediction request as a multipart form: one `images` file per drawing."""

    image_field = UploadedBatchDrawingField


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What was wrong, for a person to read.")
    code = serializers.CharField(help_text="A stable machine-readable reason.")
    errors = serializers.DictField(
        required=False, help_text="Per-field messages, for validation errors."
    )


class BatchErrorSerializer(serializers.Serializer):
    """Why one image of a batch was refused (nothing was stored for it)."""

    error = ErrorSerializer()


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="BatchResult",
        serializers=[PredictionSerializer, BatchErrorSerializer],
        resource_type_field_name=None,
    )
)
class BatchResultField(serializers.Field):
    """One image's answer in a batch: its stored prediction, or why it was refused."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        # One serializer for every prediction, as ListSerializer keeps one child.
        self.prediction = PredictionSerializer()

    def to_representation(self, value: Prediction | Exception) -> dict:
        if isinstance(value, Exception):
            return BatchErrorSerializer({"error": error_for(value)}).data
        return self.prediction.to_representation(value)


class PredictBatchSerializer(serializers.Serializer):
    """The answer to a batch prediction request."""

    results = serializers.ListField(
        child=BatchResultField(), help_text="One answer per image, in the order sent."
    )


class ChallengerGuessSerializer(serializers.Serializer):
    """The challenger's guess of a drawing, made in shadow."""

    model_version = serializers.CharField()
    digit = serializers.IntegerField(min_value=0, max_value=9)
    confidence = serializers.FloatField()


class StoredPredictionSerializer(PredictionSerializer):
    """A stored prediction as staff see it, with its drawing and label."""

    feedback_token = None  # the drawer's proof, not history
    drawing_url = serializers.SerializerMethodField(
        help_text="The stored drawing (PNG); null for a caller who may not open it "
        "(a feedback_token holder)."
    )
    labeller = serializers.ChoiceField(
        choices=Prediction.Labeller.choices,
        allow_blank=True,
        help_text="Who gave the label; empty while unlabelled.",
    )
    is_correct = serializers.BooleanField(
        allow_null=True,
        help_text="Whether the guess was right; null while unlabelled or labelled not a digit.",
    )
    not_a_digit = serializers.BooleanField(
        allow_null=True,
        help_text="Whether the model found the drawing looks like no digit; null for "
        "drawings guessed before models could tell.",
    )
    label = LabelField(
        allow_null=True,
        help_text='The digit really drawn, "not_a_digit", or null while unlabelled.',
    )
    challenger = ChallengerGuessSerializer(
        source="challenger_guess",
        allow_null=True,
        read_only=True,
        help_text="The challenger's guess, made in shadow; null if none was running.",
    )

    class Meta(PredictionSerializer.Meta):
        fields = [
            *("id", "created_at", "digit", "not_a_digit", "confidence", "margin"),
            *("probabilities", "model_version", "challenger", "label", "labelled_at"),
            *("labeller", "is_correct", "source", "features", "drawing_url"),
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_drawing_url(self, prediction: Prediction) -> str | None:
        request = self.context.get("request")
        if request is None:
            return prediction.drawing_url
        if not IsStaffOrDrawer().has_object_permission(request, None, prediction):
            return None
        return request.build_absolute_uri(prediction.drawing_url)


class PredictionFilterSerializer(serializers.Serializer):
    """Query parameters of the history list."""

    digit = serializers.IntegerField(
        min_value=0, max_value=9, required=False, help_text="The guessed digit."
    )
    label = LabelField(required=False, help_text='The corrected label: a digit or "not_a_digit".')
    correct = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: labelled and right; false: labelled and wrong.",
    )
    labelled = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: labelled only; false: unlabelled only (with ordering=margin, "
        "the review queue).",
    )
    model_version = serializers.CharField(max_length=64, required=False)
    created_after = serializers.DateTimeField(required=False, help_text="Inclusive.")
    created_before = serializers.DateTimeField(required=False, help_text="Exclusive.")
    ordering = serializers.ChoiceField(
        choices=list(ORDERINGS),
        default="-created_at",
        help_text="-created_at: newest first; margin: least certain guess first.",
    )


class FeedbackSerializer(serializers.Serializer):
    label = LabelField(
        help_text='The digit that was really drawn, or "not_a_digit" if it was no digit.'
    )
    token = serializers.CharField(
        required=False,
        max_length=64,
        help_text="The prediction's feedback_token (not needed from its browser session "
        "or as staff).",
    )
