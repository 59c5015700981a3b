import csv
import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from recognizer.history import services, statistics
from recognizer.models import Prediction
from tests.support.canvases import ONE, SEVEN, ZERO, canvas_image, data_uri, png_bytes
from tests.support.pages import listed_ids

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
        assert prediction.drawing_url in page
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
    assert f'class="drawing-large" src="{prediction.drawing_url}"' in page
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


def run_action(client, action: str, predictions: list[Prediction], **extra: str):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [p.pk for p in predictions], **extra},
        follow=True,
    )


class TestBulkActions:
    def test_the_guess_was_right(self, staff_client, staff_user, history):
        seven, zero = history["seven"], history["zero"]
        response = run_action(staff_client, "mark_guess_right", [seven, zero])
        assert "2 drawings labelled with their guess" in response.content.decode()
        for prediction in (seven, zero):
            prediction.refresh_from_db()
            assert prediction.label == prediction.digit
            assert prediction.labeller == Prediction.Labeller.STAFF
            assert prediction.labelled_by == staff_user
            assert prediction.labelled_at is not None

    def test_set_label_to_the_digit_chosen(self, staff_client, history):
        response = run_action(staff_client, "set_label", [history["seven"]], label="2")
        assert "1 drawing labelled 2." in response.content.decode()
        history["seven"].refresh_from_db()
        assert history["seven"].label == 2

    def test_set_label_without_a_digit_changes_nothing_and_says_why(self, staff_client, history):
        response = run_action(staff_client, "set_label", [history["seven"]])
        assert "Choose the digit next to the action" in response.content.decode()
        history["seven"].refresh_from_db()
        assert history["seven"].label is None

    def test_clear_label(self, staff_client, history):
        one = history["one"]
        run_action(staff_client, "clear_label", [one])
        one.refresh_from_db()
        assert (one.label, one.labelled_at, one.labeller) == (None, None, "")

    def test_export_selected_as_csv(self, staff_client, staff_user, history):
        services.prediction_label(
            prediction=history["zero"],
            label=6,
            labeller=Prediction.Labeller.STAFF,
            user=staff_user,
        )
        Prediction.objects.filter(pk=history["one"].pk).update(label=None)
        selected = [history["one"], history["zero"]]
        response = run_action(staff_client, "download_csv", selected)
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert "attachment" in response["Content-Disposition"]
        lines = b"".join(response.streaming_content).decode().splitlines()
        rows = list(csv.DictReader(lines))
        assert list(rows[0]) == [
            *("id", "created_at", "guess", "confidence", "label", "labeller"),
            *("labelled_by", "labelled_at", "source", "model_version", "drawing_url"),
        ]
        assert [int(row["id"]) for row in rows] == [history["zero"].pk, history["one"].pk]
        zero = Prediction.objects.get(pk=history["zero"].pk)
        assert rows[0]["guess"] == str(zero.digit)
        assert rows[0]["confidence"] == f"{zero.confidence:.4f}"
        assert (rows[0]["label"], rows[0]["labeller"]) == ("6", zero.labeller)
        assert rows[0]["labelled_at"] == zero.labelled_at.isoformat()
        assert rows[0]["labelled_by"] == "reviewer"
        assert (rows[0]["source"], rows[0]["model_version"]) == (zero.source, zero.model_version)
        assert rows[0]["drawing_url"] == f"http://testserver/media/{zero.drawing.name}"
        assert rows[1]["label"] == rows[1]["labelled_at"] == rows[1]["labelled_by"] == ""


class TestStatistics:
    URL = "/admin/recognizer/prediction/statistics/"

    def test_reachable_from_the_admin_index_and_the_list(self, staff_client):
        assert self.URL in staff_client.get("/admin/").content.decode()
        assert self.URL in staff_client.get(CHANGELIST).content.decode()

    def test_staff_only(self, client, django_user_model):
        assert client.get(self.URL).status_code == 302
        staff = django_user_model.objects.create_user(
            "no-perms", password="a-long-password", is_staff=True
        )
        client.force_login(staff)
        assert client.get(self.URL).status_code == 403

    def test_counts_accuracy_confusion_and_days(self, staff_client, history):
        zero = Prediction.objects.get(pk=history["zero"].pk)
        response = staff_client.get(self.URL)
        assert response.status_code == 200
        stats = response.context["stats"]
        assert (stats.total, stats.labelled, stats.correct) == (3, 2, 1)
        assert stats.accuracy == 0.5
        assert stats.confusion[zero.digit][6] == 1
        assert stats.by_digit[6].labelled == 1 and stats.by_digit[6].correct == 0
        versions = {row.version: row for row in stats.by_version}
        assert versions["aaaaaaaaaaaa"].total == 1
        assert stats.per_day[-1][1] == 3  # all three drawn today
        page = response.content.decode()
        assert '<dd id="total-drawings">3</dd>' in page
        assert '<dd id="total-accuracy">50.0%</dd>' in page
        assert page.count('class="heat ') == 100
        assert 'data-count="3"' in page  # today's bar

    def test_drawings_counted_on_the_local_day_they_were_made(self, history, settings):
        settings.TIME_ZONE = "Europe/Paris"
        today = timezone.localdate()
        just_after_midnight = datetime.datetime.combine(
            today - datetime.timedelta(days=2), datetime.time(0, 30)
        )
        Prediction.objects.filter(pk=history["zero"].pk).update(
            created_at=timezone.make_aware(just_after_midnight)
        )
        Prediction.objects.filter(pk=history["seven"].pk).update(
            created_at=timezone.now() - datetime.timedelta(days=45)
        )
        per_day = statistics.drawings_per_day(30)
        assert len(per_day) == 30 and per_day[-1] == (today, 1)
        assert per_day[-3] == (today - datetime.timedelta(days=2), 1)
        assert sum(count for _, count in per_day) == 2  # not the one 45 days old

    def test_an_empty_history(self, staff_client):
        response = staff_client.get(self.URL)
        assert response.status_code == 200
        assert '<dd id="total-accuracy">–</dd>' in response.content.decode()
