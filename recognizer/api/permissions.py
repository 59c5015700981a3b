"""Who may touch one stored prediction: staff, the browser session that drew it, and
for feedback, the API caller holding its token. The rule that a session drew a
prediction is `Prediction.drawn_in`, and that a reviewer's label is final for the
drawer `Prediction.label_is_final_for`, each in one place."""

from collections.abc import Mapping

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from recognizer.history.tokens import is_valid_feedback_token
from recognizer.models import Prediction


def is_staff(request: Request) -> bool:
    """Whether the request comes from a logged-in staff member."""
    return bool(request.user and request.user.is_staff)


def holds_feedback_token(request: Request, prediction: Prediction) -> bool:
    """Whether the request's body carries the prediction's feedback token."""
    token = request.data.get("token") if isinstance(request.data, Mapping) else None
    return is_valid_feedback_token(prediction.pk, token)


class IsDrawer(BasePermission):
    """The browser session in which the drawing was made."""

    message = "Only the browser session that made this drawing can take it back."
    code = "not_yours"

    def has_object_permission(self, request: Request, view: APIView, obj: Prediction) -> bool:
        return obj.drawn_in(request.session.session_key)


class IsStaffOrDrawer(BasePermission):
    """Staff, or the browser session in which the drawing was made."""

    message = "Only the person who made this drawing (its browser session) or staff can do this."
    code = "not_yours"

    def has_object_permission(self, request: Request, view: APIView, obj: Prediction) -> bool:
        return is_staff(request) or obj.drawn_in(request.session.session_key)


def labeller_of(request: Request, prediction: Prediction) -> Prediction.Labeller | None:
    """Return who would be labelling the prediction: staff, the browser session that
    drew it, the caller holding its feedback token, or None for anyone else."""
    if is_staff(request):
        return Prediction.Labeller.STAFF
    if prediction.drawn_in(request.session.session_key):
        return Prediction.Labeller.SESSION
    if holds_feedback_token(request, prediction):
        return Prediction.Labeller.TOKEN
    return None


class MayCorrect(BasePermission):
    """Staff always; the person who drew it (its browser session or feedback token)
    until a reviewer has labelled it: a reviewer's label is final for them."""

    message = (
        "Only the person who made this drawing (its browser session or its "
        "feedback_token) or staff can correct it."
    )
    code = "not_yours"

    def has_object_permission(self, request: Request, view: APIView, obj: Prediction) -> bool:
        labeller = labeller_of(request, obj)
        if labeller is None:
            return False
        if obj.label_is_final_for(labeller):
            raise PermissionDenied(obj.label_final_reason(), code="already_labelled")
        return True
