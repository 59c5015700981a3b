from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.authentication import BasicAuthentication
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from recognizer import selectors, services
from recognizer.api.authentication import SessionCsrfAuthentication, uses_session
from recognizer.api.exceptions import ServiceUnavailable
from recognizer.api.serializers import (
    ErrorSerializer,
    FeedbackSerializer,
    ModelInfoSerializer,
    PredictionFilterSerializer,
    PredictionSerializer,
    PredictJSONSerializer,
    PredictRequestSerializer,
    PredictUploadSerializer,
    StoredPredictionSerializer,
)
from recognizer.api.throttling import ClientRateThrottle
from recognizer.inference import get_model_service
from recognizer.middleware import note_prediction
from recognizer.ml.serving import LoadedModel, ModelUnavailable
from recognizer.models import Prediction
from recognizer.tokens import is_valid_feedback_token

ERROR_RESPONSES = {
    400: OpenApiResponse(ErrorSerializer, description="The request or the image is invalid."),
    401: OpenApiResponse(ErrorSerializer, description="Authentication is needed (staff)."),
    403: OpenApiResponse(ErrorSerializer, description="Not allowed, or the CSRF check failed."),
    404: OpenApiResponse(ErrorSerializer, description="No such prediction."),
    413: OpenApiResponse(ErrorSerializer, description="The body or the image is too large."),
    415: OpenApiResponse(ErrorSerializer, description="Not JSON/multipart, or not PNG/JPEG/WebP."),
    429: OpenApiResponse(ErrorSerializer, description="Too many requests; see Retry-After."),
    503: OpenApiResponse(
        ErrorSerializer, description="No model is ready, or the database is down."
    ),
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERROR_RESPONSES[code] for code in codes}


# A serializer builds its fields anew for every instance, which costs more
# than everything else in the response. Turning an object into data with
# them is stateless (and so thread-safe): the predict view reuses one.
PREDICTION_REPRESENTATION = PredictionSerializer()


def model_in_service() -> LoadedModel:
    try:
        return get_model_service().current()
    except ModelUnavailable as error:
        raise ServiceUnavailable(str(error), code="model_not_ready") from None


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
            "application/json": PredictJSONSerializer,
            "multipart/form-data": PredictUploadSerializer,
        },
        responses={
            201: PredictionSerializer,
            **error_responses(413, 415, 429, 503),
            400: OpenApiResponse(
                ErrorSerializer,
                description="The request or the image is invalid, or `replaces` names no "
                "prediction.",
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
                "A canvas drawing",
                value={"image": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA..."},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        session_key = ""
        source = Prediction.Source.API
        if uses_session(request):
            # CSRF was checked by the authentication: this is our own page.
            source = Prediction.Source.PAGE
            if request.session.session_key is None:
                request.session.create()
            session_key = request.session.session_key
        serializer = PredictRequestSerializer(
            data=request.data, context={"session_key": session_key}
        )
        serializer.is_valid(raise_exception=True)
        try:
            prediction = services.predict_and_store(
                drawing=serializer.validated_data["image"],
                source=source,
                session_key=session_key,
                replaces=serializer.validated_data.get("replaces"),
            )
        except ModelUnavailable as error:
            raise ServiceUnavailable(str(error), code="model_not_ready") from None
        except services.DrawingNotStored as error:
            raise ServiceUnavailable(str(error), code="storage_unavailable") from None
        except services.NotReplaceable as error:
            raise PermissionDenied(str(error), code=error.code) from None
        note_prediction(request._request, prediction.pk)
        return Response(
            PREDICTION_REPRESENTATION.to_representation(prediction),
            status=status.HTTP_201_CREATED,
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
        model = model_in_service()
        return Response(ModelInfoSerializer({**model.metadata, "version": model.version}).data)


class StaffAPIView:
    """History is for staff: a browser session, or HTTP Basic from scripts."""

    # Basic first, so that an anonymous caller is told to authenticate (401).
    authentication_classes = [BasicAuthentication, SessionCsrfAuthentication]
    permission_classes = [IsAdminUser]


class NewestFirstPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request: Request) -> int:
        # DRF quietly ignores a bad page_size; a client should hear about it.
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        try:
            size = int(value)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {"page_size": [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return size

    def decode_cursor(self, request: Request):
        # A cursor the client mangled is bad input (400), not a missing page.
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": [self.invalid_cursor_message]}) from None


class PredictionListView(StaffAPIView, generics.ListAPIView):
    """Every stored prediction, newest first."""

    serializer_class = StoredPredictionSerializer
    pagination_class = NewestFirstPagination

    @extend_schema(
        operation_id="predictions_list",
        tags=["history"],
        summary="Browse the history (staff)",
        parameters=[PredictionFilterSerializer],
        responses={
            200: StoredPredictionSerializer(many=True),
            **error_responses(400, 401, 403, 503),
        },
    )
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = PredictionFilterSerializer(data=self.request.query_params.dict())
        filters.is_valid(raise_exception=True)
        return selectors.prediction_list(**filters.validated_data)


class PredictionDetailView(StaffAPIView, generics.RetrieveAPIView):
    """One stored prediction, with the URL of its drawing."""

    serializer_class = StoredPredictionSerializer
    queryset = Prediction.objects.all()

    @extend_schema(
        operation_id="predictions_retrieve",
        tags=["history"],
        summary="One stored prediction (staff)",
        responses={
            200: StoredPredictionSerializer,
            **error_responses(401, 403, 404, 503),
        },
    )
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)


def feedback_source(request: Request, prediction: Prediction) -> Prediction.LabelSource:
    """Who may correct a prediction: staff, its browser session, its token holder."""
    if request.user.is_authenticated and request.user.is_staff:
        return Prediction.LabelSource.STAFF
    session_key = request.session.session_key
    if session_key and session_key == prediction.session_key:
        return Prediction.LabelSource.SESSION
    token = request.data.get("token") if hasattr(request.data, "get") else None
    if is_valid_feedback_token(prediction.pk, token):
        return Prediction.LabelSource.TOKEN
    raise PermissionDenied(
        "Only the person who made this drawing (its browser session or its "
        "feedback_token) or staff can correct it.",
        code="not_yours",
    )


class FeedbackView(APIView):
    """Tell the model which digit was really drawn."""

    authentication_classes = [BasicAuthentication, SessionCsrfAuthentication]
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]
    throttle_classes = [ClientRateThrottle]
    throttle_scope = "feedback"

    @extend_schema(
        operation_id="predictions_feedback",
        tags=["history"],
        summary="Correct a guess",
        request=FeedbackSerializer,
        responses={
            200: StoredPredictionSerializer,
            **error_responses(400, 401, 403, 404, 429, 503),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        prediction = get_object_or_404(Prediction, pk=pk)
        source = feedback_source(request, prediction)
        serializer = FeedbackSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.record_label(
            prediction,
            serializer.validated_data["label"],
            source=source,
            user=request.user if source == Prediction.LabelSource.STAFF else None,
        )
        return Response(StoredPredictionSerializer(prediction, context={"request": request}).data)
