from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from recognizer import services
from recognizer.api.authentication import SessionCsrfAuthentication, uses_session
from recognizer.api.exceptions import ServiceUnavailable
from recognizer.api.serializers import (
    ErrorSerializer,
    ModelInfoSerializer,
    PredictionSerializer,
    PredictJSONSerializer,
    PredictRequestSerializer,
    PredictUploadSerializer,
)
from recognizer.inference import get_model_service
from recognizer.middleware import note_prediction
from recognizer.ml.serving import LoadedModel, ModelUnavailable
from recognizer.models import Prediction

ERROR_RESPONSES = {
    400: OpenApiResponse(ErrorSerializer, description="The request or the image is invalid."),
    413: OpenApiResponse(ErrorSerializer, description="The body or the image is too large."),
    415: OpenApiResponse(ErrorSerializer, description="Not JSON/multipart, or not PNG/JPEG/WebP."),
    429: OpenApiResponse(ErrorSerializer, description="Too many requests; see Retry-After."),
    503: OpenApiResponse(
        ErrorSerializer, description="No model is ready, or the database is down."
    ),
}


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
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "predict"

    @extend_schema(
        operation_id="predict",
        summary="Guess the digit in a drawing",
        request={
            "application/json": PredictJSONSerializer,
            "multipart/form-data": PredictUploadSerializer,
        },
        responses={201: PredictionSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample(
                "A canvas drawing",
                value={"image": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA..."},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = PredictRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session_key = ""
        source = Prediction.Source.API
        if uses_session(request):
            # CSRF was checked by the authentication: this is our own page.
            source = Prediction.Source.PAGE
            if request.session.session_key is None:
                request.session.create()
            session_key = request.session.session_key
        try:
            prediction = services.predict_and_store(
                drawing=serializer.validated_data["image"],
                source=source,
                session_key=session_key,
            )
        except ModelUnavailable as error:
            raise ServiceUnavailable(str(error), code="model_not_ready") from None
        except services.DrawingNotStored as error:
            raise ServiceUnavailable(str(error), code="storage_unavailable") from None
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
        summary="Describe the model in service",
        responses={200: ModelInfoSerializer, 503: ERROR_RESPONSES[503]},
    )
    def get(self, request: Request) -> Response:
        model = model_in_service()
        return Response(ModelInfoSerializer({**model.metadata, "version": model.version}).data)
