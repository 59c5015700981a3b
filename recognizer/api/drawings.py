"""A stored drawing's file, linked from the API as `drawing_url`."""

from django.http import FileResponse
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.authentication import BasicAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.request import Request

from recognizer.api.authentication import SessionCsrfAuthentication
from recognizer.api.permissions import IsStaffOrDrawer
from recognizer.history.drawings import drawing_open
from recognizer.models import Prediction


@extend_schema(exclude=True)  # a file, linked from the API as `drawing_url`
class DrawingFileView(generics.GenericAPIView):
    """A stored drawing, for staff (session or HTTP Basic) or the session that drew it.

    Anyone else gets a 404, which does not tell whether the drawing exists.
    """

    authentication_classes = [BasicAuthentication, SessionCsrfAuthentication]
    permission_classes = [IsStaffOrDrawer]
    queryset = Prediction.objects.only("drawing", "session_key")
    lookup_field = "drawing"
    lookup_url_kwarg = "name"

    def get(self, request: Request, name: str) -> FileResponse:
        prediction = self.get_object()
        try:
            file = drawing_open(prediction.drawing.name)
        except FileNotFoundError:
            raise NotFound("The drawing's file is missing.") from None
        # Our own re-encoded PNG, so the type is known; never sniffed.
        response = FileResponse(file, content_type="image/png")
        response["Cache-Control"] = "private, max-age=86400"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def permission_denied(self, request: Request, message=None, code=None) -> None:
        raise NotFound("No such drawing.")
