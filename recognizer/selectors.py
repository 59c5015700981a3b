"""Reads that are more than a one-line query."""

from recognizer.models import Prediction


def recent_predictions(session_key: str, limit: int) -> list[Prediction]:
    """A browser session's latest drawings, newest first; none without a session."""
    if not session_key:
        return []
    return list(
        Prediction.objects.filter(session_key=session_key).only(
            "id", "created_at", "drawing", "digit", "label"
        )[:limit]
    )
