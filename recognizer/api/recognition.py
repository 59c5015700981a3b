"""The REST API's recognition: guess drawings, one or many, and describe the model.

Domain errors are not caught here: the exception handler answers them
(recognizer/api/exceptions.py).
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from recognizer.api.authentication import SessionCsrfAuthentication, uses_session
from recognizer.api.model_serializers import ModelInfoSerializer
from recognizer.api.schema import EXAMPLE_DRAWING, error_responses
from recognizer.api.serializers import (
    ErrorSerializer,
    PredictBatchRequestSerializer,
    PredictBatchSerializer,
    PredictBatchUploadRequestSerializer,
    PredictionSerializer,
    PredictRequestSerializer,
    PredictUploadRequestSerializer,
)
from recognizer.api.throttling import ClientRateThrottle, DrawingRateThrottle
from recognizer.history import services
from recognizer.ml.decoding import Drawing
from recognizer.models import Prediction
from recognizer.registry.selectors import model_version_get
from recognizer.registry.serving import served_models


def validated_request(request: Request, json: type, multipart: type) -> dict:
    """Return the request's data validated by the serializer for its content type."""
    is_multipart = request.content_type.startswith("multipart/")
    serializer = (multipart if is_multipart else json)(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# Sent by static/recognizer/js/draw.js with every drawing.
PAGE_HEADER = "X-Drawing-Page"


def page_session_key(request: Request) -> str:
    """Return the session key of a request from the drawing page; "" for other callers.

    CSRF was checked by the authentication, so the page is our own.
    """
    if not uses_session(request):
        return ""
    if request.session.session_key is None:
        request.session.create()
    return request.session.session_key


def drawing_source(request: Request) -> Prediction.Source:
    """Return where a drawing comes from: the drawing page, which says so in a header of
    its requests, or any other caller (a script, the API docs page)."""
    from_page = request.headers.get(PAGE_HEADER) == "1" and uses_session(request)
    return Prediction.Source.PAGE if from_page else Prediction.Source.API


class PredictView(APIView):
    """Guess the digit in a drawing and store both."""

    authentication_classes = [SessionCsrfAuthentication]
    permission_classes = [AllowAny]
    parser_classes = [JSONParser, MultiPartParser]
    throttle_classes = [ClientRateThrottle]
    throttle_scope = "predict"

    @extend_schema(
        operation_id="predict",
        tags=["recognition"],
        summary="Guess the digit in a drawing",
        request={
            "application/json": PredictRequestSerializer,
            "multipart/form-data": PredictUploadRequestSerializer,
        },
        responses={
            201: PredictionSerializer,
            **error_responses(413, 415, 429, 503),
            400: OpenApiResponse(
                ErrorSerializer,
                description="The request is invalid (`parse_error`, `required`, "
                "`invalid_data_uri`, ...) or `replaces` names no prediction "
                "(`does_not_exist`), or the image cannot be read as a drawing: not an "
                "image (`invalid_image`), nothing drawn (`empty_drawing`), a speck too "
                "small to be a digit (`drawing_too_small`), dark all over "
                "(`drawing_all_ink`). Nothing is stored.",
            ),
            403: OpenApiResponse(
                ErrorSerializer,
                description=(
                    "The session cookie came without the CSRF token, or `replaces` names "
                    "another session's prediction (`not_yours`) or a labelled one "
                    "(`already_labelled`). Nothing is stored."
                ),
            ),
        },
        examples=[
            OpenApiExample(
                "A drawing of a 7",
                value={"image": EXAMPLE_DRAWING},
                request_only=True,
                media_type="application/json",
            )
        ],
        auth=[],  # public; the page's own session is optional
    )
    def post(self, request: Request) -> Response:
        data = validated_request(
            request, json=PredictRequestSerializer, multipart=PredictUploadRequestSerializer
        )
        session_key = page_session_key(request)
        prediction = services.prediction_create(
            drawing=data["image"],
            source=drawing_source(request),
            session_key=session_key,
            replaces_id=data.get("replaces"),
        )
        location = reverse("api:prediction-detail", args=[prediction.pk], request=request)
        return Response(
            PredictionSerializer(prediction).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )


class PredictBatchView(APIView):
    """Guess the digits of many drawings at once, storing each as if sent alone."""

    authentication_classes = [SessionCsrfAuthentication]
    permission_classes = [AllowAny]
    parser_classes = [JSONParser, MultiPartParser]
    throttle_classes = [DrawingRateThrottle]
    throttle_scope = "predict"  # the same rate as single drawings, counted in drawings

    @extend_schema(
        operation_id="predict_batch",
        tags=["recognition"],
        summary="Guess the digits in many drawings at once",
        description="Each image is decoded, guessed and stored as if sent alone to "
        "`POST /api/predict/`, but the model runs once for the whole batch and the rows "
        "are written together: far cheaper per drawing. An image that cannot be used "
        'gets `{"error": {"detail", "code"}}` in its place and fails alone. '
        "Throttling counts images: a batch of n spends n of the prediction rate, all or "
        "none (429).",
        request={
            "application/json": PredictBatchRequestSerializer,
            "multipart/form-data": PredictBatchUploadRequestSerializer,
        },
        responses={
            201: PredictBatchSerializer,
            **error_responses(403, 415, 429, 503),
            400: OpenApiResponse(
                ErrorSerializer,
                description="No `images` list, an empty one, or more than PREDICT_BATCH_MAX.",
            ),
            413: OpenApiResponse(
                ErrorSerializer, description="The body is over MAX_BATCH_REQUEST_BYTES."
            ),
        },
        examples=[
            OpenApiExample(
                "Two drawings, one not an image",
                value={"images": [EXAMPLE_DRAWING, "data:image/png;base64,bm90IGEgcG5n"]},
                request_only=True,
            )
        ],
        auth=[],  # public, as single drawings are
    )
    def post(self, request: Request) -> Response:
        images = validated_request(
            request,
            json=PredictBatchRequestSerializer,
            multipart=PredictBatchUploadRequestSerializer,
        )["images"]
        session_key = page_session_key(request)
        stored = iter(
            services.predictions_create(
                drawings=[image for image in images if isinstance(image, Drawing)],
                source=drawing_source(request),
                session_key=session_key,
            )
        )
        # Each image's answer in its place: its prediction, or why it was refused.
        results = [image if isinstance(image, Exception) else next(stored) for image in images]
        return Response(
            PredictBatchSerializer({"results": results}).data, status=status.HTTP_201_CREATED
        )


@extend_schema(exclude=True)
class TutorialPredictView(PredictView):
    """`/api/predict`, the original tutorial's path (no slash), kept working."""


class ModelInfoView(APIView):
    """The model in service."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="model_info",
        tags=["recognition"],
        summary="Describe the model in service",
        responses={200: ModelInfoSerializer, **error_responses(503)},
    )
    def get(self, request: Request) -> Response:
        model = served_models().in_service()
        return Response(ModelInfoSerializer(model_version_get(version=model.version)).data)
