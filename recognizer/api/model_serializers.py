"""How the API describes a model version: how it was made and how good it is."""

from rest_framework import serializers

from recognizer.ml.training import input_grid
from recognizer.models import ModelVersion


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


class HeldOutRefusalSerializer(serializers.Serializer):
    digits = serializers.FloatField(help_text="Share of held-out digits refused.")
    non_digits = serializers.FloatField(
        allow_null=True, help_text="Share of held-out non-digits refused."
    )


class RefusedSetSerializer(serializers.Serializer):
    samples = serializers.IntegerField()
    refused = serializers.FloatField()


class RefusalSerializer(serializers.Serializer):
    method = serializers.CharField(help_text="How a drawing is told to be no digit.")
    threshold = serializers.FloatField(
        help_text="The score above which a drawing is answered `not_a_digit`, chosen on "
        "held-out rows."
    )
    held_out_refused = HeldOutRefusalSerializer(
        help_text="How that threshold did on the rows held out to choose it."
    )
    evaluation = serializers.DictField(
        child=RefusedSetSerializer(),
        required=False,
        help_text="Share refused of sets never trained on, by set: synthetic non-digits (in "
        "all and by kind; should be high) and the drawing-like digits (should be low).",
    )


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
    not_a_digit = RefusalSerializer(
        source="metadata.refusal",
        default=None,
        allow_null=True,
        help_text="How this model tells a drawing that is no digit, with its threshold; null "
        "for a model trained before models could.",
    )
    libraries = serializers.DictField(child=serializers.CharField())

    class Meta:
        model = ModelVersion
        fields = [
            *("version", "algorithm", "trained_at", "trained_by", "parameters", "input_size"),
            *("training_data", "training_samples", "history_samples", "cv_accuracy"),
            *("test_accuracy", "comparison", "evaluation", "not_a_digit", "libraries"),
            "sha256",
        ]
        read_only_fields = fields

    def get_input_size(self, model_version: ModelVersion) -> str:
        """Return the model's input size, such as "8x8"."""
        grid = input_grid(model_version.metadata)
        return f"{grid}x{grid}"
