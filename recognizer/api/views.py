"""The REST API: thin views over the services and selectors.

Domain errors are not caught here: the exception handler answers them
(recognizer/api/exceptions.py).
"""

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, status
from rest_framework.authentication import BasicAuthentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from recognizer import selectors, services
from recognizer.api.authentication import SessionCsrfAuthentication, uses_session
from recognizer.api.pagination import HistoryPagination
from recognizer.api.permissions import IsDrawer, MayCorrect, is_staff
from recognizer.api.schema import EXAMPLE_DRAWING, error_responses
from recognizer.api.serializers import (
    ErrorSerializer,
    FeedbackSerializer,
    ModelInfoSerializer,
    PredictBatchRequestSerializer,
    PredictBatchSerializer,
    PredictBatchUploadRequestSerializer,
    PredictionFilterSerializer,
    PredictionSerializer,
    PredictRequestSerializer,
    PredictUploadRequestSerializer,
    StoredPredictionSerializer,
)
from recognizer.api.throttling import ClientRateThrottle, DrawingRateThrottle
from recognizer.ml.decoding import Drawing
from recognizer.model_service import get_model_service
from recognizer.models import ModelVersion, Prediction

# History is for staff: a browser session, or HTTP Basic from scripts. Basic
# comes first, so that an anonymous caller is told how to authenticate (401).
STAFF_AUTHENTICATION = [BasicAuthentication, SessionCsrfAuthentication]


def validated_request(request: Request, json: type, multipart: type) -> dict:
    """Return the request's data validated by the serializer for its content type."""
    is_multipart = request.content_type.startswith("multipart/")
    serializer = (multipart if is_multipart else json)(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def page_session_key(request: Request) -> str:
    """Return the session key of a request from the drawing page; "" for other callers.

    CSRF was checked by the authentication, so the page is our own.
    """
    if not uses_session(request):
        return ""
    if request.session.session_key is None:
        request.session.create()
    return request.session.session_key


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
            source=Prediction.Source.PAGE if session_key else Prediction.Source.API,
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
                source=Prediction.Source.PAGE if session_key else Prediction.Source.API,
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
        model = get_model_service().current()
        return Response(ModelInfoSerializer(ModelVersion.objects.get(version=model.version)).data)


@extend_schema_view(
    get=extend_schema(
        operation_id="predictions_list",
        tags=["history"],
        summary="Browse the history (staff)",
        parameters=[PredictionFilterSerializer],
        responses={
            200: StoredPredictionSerializer(many=True),
            **error_responses(400, 401, 403, 503),
        },
    )
)
class PredictionListView(generics.ListAPIView):
    """Every stored prediction, newest first."""

    authentication_classes = STAFF_AUTHENTICATION
    permission_classes = [IsAdminUser]
    serializer_class = StoredPredictionSerializer
    pagination_class = HistoryPagination

    def get_queryset(self):
        filters = PredictionFilterSerializer(data=self.request.query_params.dict())
        filters.is_valid(raise_exception=True)
        return selectors.prediction_list(**filters.validated_data)


@extend_schema_view(
    get=extend_schema(
        operation_id="predictions_retrieve",
        tags=["history"],
        summary="One stored prediction (staff)",
        responses={200: StoredPredictionSerializer, **error_responses(401, 403, 404, 503)},
    ),
    delete=extend_schema(
        operation_id="predictions_withdraw",
        tags=["recognition"],
        summary="Take back a drawing (the browser session that made it)",
        description="The drawing page takes back its live guess when the person undoes "
        "every stroke. Only the session that made the prediction may, and only while it "
        "has no label (403 `not_yours`, `already_labelled`).",
        responses={204: None, **error_responses(403, 404, 503)},
        auth=[],
    ),
)
class PredictionDetailView(generics.RetrieveDestroyAPIView):
    """One stored prediction, with the URL of its drawing; its drawer may take it back."""

    authentication_classes = STAFF_AUTHENTICATION
    serializer_class = StoredPredictionSerializer
    queryset = Prediction.objects.all()

    def get_permissions(self) -> list:
        return [IsDrawer()] if self.request.method == "DELETE" else [IsAdminUser()]

    def perform_destroy(self, instance: Prediction) -> None:
        services.prediction_withdraw(
            prediction_id=instance.pk, session_key=self.request.session.session_key
        )

    def permission_denied(self, request: Request, message=None, code=None) -> None:
        if request.method == "DELETE":  # the session is the credential, not a login
            raise PermissionDenied(message, code)
        super().permission_denied(request, message, code)


def label_source(request: Request, prediction: Prediction) -> Prediction.LabelSource:
    """Return who is correcting the prediction: staff, its browser session or its token."""
    if is_staff(request):
        return Prediction.LabelSource.STAFF
    if prediction.drawn_in(request.session.session_key):
        return Prediction.LabelSource.SESSION
    return Prediction.LabelSource.TOKEN


class FeedbackView(generics.GenericAPIView):
    """Tell the model which digit was really drawn."""

    authentication_classes = STAFF_AUTHENTICATION
    permission_classes = [MayCorrect]
    parser_classes = [JSONParser]
    throttle_classes = [ClientRateThrottle]
    throttle_scope = "feedback"
    queryset = Prediction.objects.all()
    serializer_class = FeedbackSerializer

    @extend_schema(
        operation_id="predictions_feedback",
        tags=["history"],
        summary="Correct a guess",
        description="Whoever made the drawing may say which digit it really was: the "
        "browser session that drew it, an API caller with its `feedback_token`, or staff.",
        auth=[],
        request=FeedbackSerializer,
        responses={
            200: StoredPredictionSerializer,
            **error_responses(400, 401, 403, 404, 429, 503),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        prediction = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        source = label_source(request, prediction)
        services.prediction_label(
            prediction=prediction,
            label=serializer.validated_data["label"],
            source=source,
            user=request.user if source == Prediction.LabelSource.STAFF else None,
        )
        context = self.get_serializer_context()
        return Response(StoredPredictionSerializer(prediction, context=context).data)

    def permission_denied(self, request: Request, message=None, code=None) -> None:
        # A stranger is refused, not asked to log in: the token is the credential.
        raise PermissionDenied(message, code)
