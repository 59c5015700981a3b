"""The one check of an error answer, for every test that expects one."""

from pathlib import Path

from django.conf import settings

from recognizer.models import Prediction


def assert_error(response, status: int, code: str | None = None) -> dict:
    """Assert the answer is a JSON error with this status (and code); return its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    if code is not None:
        assert body["code"] == code
    return body


def assert_nothing_stored() -> None:
    """Assert no prediction and no drawing file was stored."""
    assert Prediction.objects.count() == 0
    assert not any(Path(settings.MEDIA_ROOT).rglob("*.png"))
