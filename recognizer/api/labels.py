"""A label in the API: a digit 0-9, or "not_a_digit" for a drawing that is none."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from recognizer.models import NOT_A_DIGIT

NOT_A_DIGIT_VALUE = "not_a_digit"
LABEL_SCHEMA = {
    "oneOf": [
        {"type": "integer", "minimum": 0, "maximum": 9},
        {"type": "string", "enum": [NOT_A_DIGIT_VALUE]},
    ]
}


@extend_schema_field(LABEL_SCHEMA)
class LabelField(serializers.Field):
    """A digit 0-9 or "not_a_digit", stored as the digit or NOT_A_DIGIT."""

    default_error_messages = {
        "invalid": 'A label is a digit 0-9 or "not_a_digit".',
    }

    def to_internal_value(self, data: object) -> int:
        # Only a JSON number or one ASCII digit: int() would also read " 7", "07",
        # 7.0 and the Arabic-Indic seven.
        if data == NOT_A_DIGIT_VALUE:
            return NOT_A_DIGIT
        if type(data) is int and 0 <= data <= 9:
            return data
        if isinstance(data, str) and len(data) == 1 and data in "0123456789":
            return int(data)
        self.fail("invalid")

    def to_representation(self, value: int) -> int | str:
        return NOT_A_DIGIT_VALUE if value == NOT_A_DIGIT else value
