"""The REST API's history: stored predictions for staff, corrections for their drawers.

Domain errors are not caught here: the exception handler answers them
(recognizer/api/exceptions.py).
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.authentication import BasicAuthentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response

from recognizer.api.authentication import SessionCsrfAuthentication
from recognizer.api.pagination import HistoryPagination
from recognizer.api.permissions import IsDrawer, MayCorrect, labeller_of
from recognizer.api.schema import error_responses
from recognizer.api.serializers import (
    FeedbackSerializer,
    PredictionFilterSerializer,
    StoredPredictionSerializer,
)
from recognizer.api.throttling import ClientRateThrottle
from recognizer.history import selectors, services
from recognizer.models import Prediction

# History is for staff: a browser session, or HTTP Basic from scripts. Basic
# comes first, so that an anonymous caller is told how to authenticate (401).
STAFF_AUTHENTICATION = [BasicAuthentication, SessionCsrfAuthentication]


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
        "browser session that drew it, or an API caller with its `feedback_token`; they "
        "may change their answer until a reviewer labels the drawing, whose label is "
        "final for them (403 `already_labelled`). Staff may always relabel. Every change "
        "is kept with who made it and when.",
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
        services.prediction_label(
            prediction=prediction,
            label=serializer.validated_data["label"],
            labeller=labeller_of(request, prediction),
            user=request.user,
        )
        context = self.get_serializer_context()
        return Response(StoredPredictionSerializer(prediction, context=context).data)

    def permission_denied(self, request: Request, message=None, code=None) -> None:
        # A stranger is refused, not asked to log in: the token is the credential.
        raise PermissionDenied(message, code)
