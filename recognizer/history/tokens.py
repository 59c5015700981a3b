"""Feedback tokens: the right to correct one prediction, for API callers.

A token is an HMAC of the prediction's id under the SECRET_KEY, so nothing
is stored and it cannot be forged or moved to another prediction. Rotating
the SECRET_KEY invalidates the tokens handed out before.
"""

from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "recognizer.feedback-token"


def feedback_token(prediction_id: int) -> str:
    return salted_hmac(_SALT, str(prediction_id), algorithm="sha256").hexdigest()[:32]


def is_valid_feedback_token(prediction_id: int, token: object) -> bool:
    return isinstance(token, str) and constant_time_compare(token, feedback_token(prediction_id))
