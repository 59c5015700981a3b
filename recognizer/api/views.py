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
from recognizer.api.examples import drawing_data_uri
from recognizer.api.pagination import NewestFirstPagination
from recognizer.api.permissions import IsDrawer, MayCorrect, is_staff
from recognizer.api.serializers import (
    ErrorSerializer,
    FeedbackSerializer,
    ModelInfoSerializer,
    PredictionFilterSerializer,
    PredictionSerializer,
    PredictRequestSerializer,
    PredictUploadRequestSerializer,
    StoredPredictionSerializer,
)
from recognizer.api.throttling import ClientRateThrottle
from recognizer.model_service import get_model_service
from recognizer.models import ModelVersion, Prediction

ERROR_RESPONSES = {
    400: OpenApiResponse(ErrorSerializer, description="The request or the image is invalid."),
    401: OpenApiResponse(ErrorSerializer, description="Authentication is needed (staff)."),
    403: OpenApiResponse(ErrorSerializer, description="Not allowed, or the CSRF check failed."),
    404: OpenApiResponse(ErrorSerializer, description="No such prediction."),
    413: OpenApiResponse(ErrorSerializer, description="The body or the image is too large."),
    415: OpenApiResponse(ErrorSerializer, description="Not JSON/multipart, or not PNG/JPEG/WebP."),
    429: OpenApiResponse(ErrorSerializer, description="Too many requests; see Retry-After."),
    503: OpenApiResponse(
        ErrorSerializer,
        description="No model is ready, the drawing could not be stored, or the database is "
        "down; see Retry-After.",
    ),
}
# History is for staff: a browser session, or HTTP Basic from scripts. Basic
# comes first, so that an anonymous caller is told how to authenticate (401).
STAFF_AUTHENTICATION = [BasicAuthentication, SessionCsrfAuthentication]


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERROR_RESPONSES[code] for code in codes}


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
                value={"image": drawing_data_uri()},
                request_only=True,
                media_type="application/json",
            )
        ],
        auth=[],  # public; the page's own session is optional
    )
    def post(self, request: Request) -> Response:
        multipart = request.content_type.startswith("multipart/")
        request_serializer = (
            PredictUploadRequestSerializer if multipart else PredictRequestSerializer
        )(data=request.data)
        request_serializer.is_valid(raise_exception=True)
        session_key = page_session_key(request)
        prediction = services.prediction_create(
            drawing=request_serializer.validated_data["image"],
            source=Prediction.Source.PAGE if session_key else Prediction.Source.API,
            session_key=session_key,
            replaces_id=request_serializer.validated_data.get("replaces"),
        )
        location = reverse("api:prediction-detail", args=[prediction.pk], request=request)
        return Response(
            PredictionSerializer(prediction).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
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
    pagination_class = NewestFirstPagination

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
