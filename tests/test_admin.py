import re
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from recognizer.models import Prediction
from tests.drawings import ONE, SEVEN, ZERO, canvas_image, data_uri, png_bytes

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/recognizer/prediction/"


def predict(strokes) -> Prediction:
    response = APIClient().post(
        "/api/predict/", {"image": data_uri(png_bytes(canvas_image(strokes)))}, format="json"
    )
    assert response.status_code == 201
    return Prediction.objects.get(pk=response.json()["id"])


@pytest.fixture
def history() -> dict[str, Prediction]:
    """A one (labelled right), a zero (labelled wrong) and a seven (unlabelled)."""
    one, zero, seven = predict(ONE), predict(ZERO), predict(SEVEN)
    Prediction.objects.filter(pk=one.pk).update(label=one.digit)
    Prediction.objects.filter(pk=zero.pk).update(label=6)
    Prediction.objects.filter(pk=seven.pk).update(model_version="aaaaaaaaaaaa")
    return {"one": one, "zero": zero, "seven": seven}


def listed_ids(response) -> list[int]:
    return [
        int(pk)
        for pk in re.findall(r'name="_selected_action" value="(\d+)"', response.content.decode())
    ]


def test_only_staff_can_open_the_review(client, django_user_model):
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    user = django_user_model.objects.create_user("visitor", password="a-long-test-password")
    client.force_login(user)
    assert client.get(CHANGELIST).status_code == 302


def test_the_list_shows_newest_first_with_thumbnails(staff_client, history):
    response = staff_client.get(CHANGELIST)
    assert response.status_code == 200
    assert listed_ids(response) == [history["seven"].pk, history["zero"].pk, history["one"].pk]
    page = response.content.decode()
    for prediction in history.values():
        assert prediction.drawing.url in page
    assert page.count('class="drawing-thumbnail"') == 3
    assert 'name="form-0-label"' in page  # the label is editable in the list
    assert "?created_at__year=" in page  # the date hierarchy


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("correct=yes", ["one"]),
        ("correct=no", ["zero"]),
        ("correct=unknown", ["seven"]),
        ("model_version=aaaaaaaaaaaa", ["seven"]),
    ],
)
def test_filters(staff_client, history, query, expected):
    response = staff_client.get(f"{CHANGELIST}?{query}")
    assert response.status_code == 200
    assert sorted(listed_ids(response)) == sorted(history[name].pk for name in expected)


def test_filter_by_guessed_digit_and_label(staff_client, history):
    one = history["one"]
    assert listed_ids(staff_client.get(f"{CHANGELIST}?digit={one.digit}")) == [one.pk]
    zero = Prediction.objects.get(pk=history["zero"].pk)
    assert listed_ids(staff_client.get(f"{CHANGELIST}?label={zero.label}")) == [zero.pk]


def test_the_change_page_shows_the_drawing_and_the_model_input(staff_client, history):
    prediction = history["one"]
    response = staff_client.get(f"{CHANGELIST}{prediction.pk}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'class="drawing-large" src="{prediction.drawing.url}"' in page
    assert 'class="digit-features" src="data:image/png;base64,' in page
    # Guess fields are shown, not editable; the label is editable.
    assert 'name="digit"' not in page
    assert 'name="confidence"' not in page
    assert 'name="model_version"' not in page
    assert 'name="label"' in page


def test_correcting_a_label_in_the_list_records_when(staff_client, history):
    seven = history["seven"]
    response = staff_client.get(f"{CHANGELIST}?correct=unknown")
    form = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": str(seven.pk),
        "form-0-label": "7",
        "_save": "Save",
    }
    response = staff_client.post(f"{CHANGELIST}?correct=unknown", form)
    assert response.status_code == 302
    seven.refresh_from_db()
    assert seven.label == 7
    assert seven.labelled_at is not None


def test_drawings_cannot_be_added_by_hand(staff_client):
    assert staff_client.get(f"{CHANGELIST}add/").status_code == 403


def test_deleting_a_prediction_removes_its_file(
    staff_client, history, django_capture_on_commit_callbacks
):
    prediction = history["one"]
    path = Path(settings.MEDIA_ROOT) / prediction.drawing.name
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"{CHANGELIST}{prediction.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Prediction.objects.filter(pk=prediction.pk).exists()
    assert not path.exists()
