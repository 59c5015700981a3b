"""The drawings a client sends, as serializer fields that decode them."""

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from recognizer.history import metrics
from recognizer.ml import decoding
from recognizer.ml.decoding import Drawing


@extend_schema_field(
    {"type": "string", "description": "The drawing as a data URI: 'data:image/png;base64,...'."}
)
class DrawingField(serializers.Field):
    """A drawing sent as a data URI string (or, in a multipart form, as a file).

    Validation decodes it, so a valid value is a `Drawing` ready for the model.
    An image that cannot be used raises the decoding's own error (`DecodingError`
    and its kinds), which the API's exception handler answers.
    """

    default_error_messages = {
        "wrong_type": (
            "Send the image as a data URI string in JSON, "
            "or as a file in the multipart field 'image'."
        ),
    }

    def to_internal_value(self, data: object) -> Drawing:
        try:
            return self.decoded(data)
        except decoding.DecodingError as error:
            metrics.drawing_rejected(error.code)
            raise

    def decoded(self, data: object) -> Drawing:
        """Return the drawing that `data` (a data URI or an uploaded file) holds."""
        max_bytes = settings.MAX_IMAGE_BYTES
        if isinstance(data, str):
            raw = decoding.parse_data_uri(data, max_bytes=max_bytes)
        elif isinstance(data, UploadedFile):
            # The declared size first, then what is really read: either may lie.
            too_large = data.size is not None and data.size > max_bytes
            raw = b"" if too_large else data.read(max_bytes + 1)
            if too_large or len(raw) > max_bytes:
                raise decoding.ImageTooLarge(f"The image is larger than {max_bytes} bytes.")
        else:
            self.fail("wrong_type")
        return decoding.decode_drawing(raw, max_side=settings.MAX_IMAGE_SIDE)


@extend_schema_field(OpenApiTypes.BINARY)
class UploadedDrawingField(DrawingField):
    """The same field, described as the file of a multipart form."""


class BatchDrawingField(DrawingField):
    """A drawing of a batch. An image that cannot be used must not fail the others:
    its value is then the error that refused it (answered for that image alone).
    A value that is no image at all (a number, null) is a malformed request."""

    default_error_messages = {
        "wrong_type": "Send each image as a data URI string in the JSON list 'images'.",
    }

    def run_validation(self, data: object = empty) -> Drawing | decoding.DecodingError:
        try:
            return super().run_validation(data)
        except decoding.DecodingError as error:
            return error


@extend_schema_field(OpenApiTypes.BINARY)
class UploadedBatchDrawingField(BatchDrawingField):
    """The same field as one file of a multipart form: one `images` part per drawing."""

    default_error_messages = {
        "wrong_type": "Send each image as a file, in a multipart part named 'images'.",
    }

    def to_internal_value(self, data: object) -> Drawing:
        # Files only: Django parses text parts apart from file parts, so a
        # mix could not be answered in the order it was sent.
        if not isinstance(data, UploadedFile):
            self.fail("wrong_type")
        return super().to_internal_value(data)


class DrawingBatchField(serializers.ListField):
    """The drawings of a batch, counted before any is decoded: a request for too many
    costs no decoding."""

    def to_internal_value(self, data: object) -> list:
        if isinstance(data, list) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)
