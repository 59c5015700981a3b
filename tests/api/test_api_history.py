import datetime
from base64 import b64encode

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from recognizer.models import Prediction
from tests.support.factories import prediction_make

pytestmark = pytest.mark.django_db

LIST = "/api/predictions/"
NOW = timezone.now()


def make(
    pk_hint: str,
    *,
    digit: int,
    label: int | None = None,
    version: str = "aaaaaaaaaaaa",
    days_ago: float = 0,
) -> Prediction:
    return prediction_make(
        with_file=True,
        created_at=NOW - datetime.timedelta(days=days_ago),
        digit=digit,
        confidence=0.8,
        model_version=version,
        label=label,
        labelled_at=None if label is None else NOW,
    )


@pytest.fixture
def history() -> dict[str, Prediction]:
    return {
        "right": make("right", digit=3, label=3, days_ago=3),
        "wrong": make("wrong", digit=4, label=9, days_ago=2, version="bbbbbbbbbbbb"),
        "unlabelled": make("unlabelled", digit=3, days_ago=1),
        "newest": make("newest", digit=7, days_ago=0),
    }


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


class TestAccess:
    def test_anonymous_callers_are_asked_to_authenticate(self, history):
        response = APIClient().get(LIST)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Basic")
        assert APIClient().get(f"{LIST}{history['right'].pk}/").status_code == 401

    def test_users_who_are_not_staff_are_refused(self, history, django_user_model):
        user = django_user_model.objects.create_user("someone", password="a-long-password")
        api = APIClient()
        api.force_authenticate(user)
        assert api.get(LIST).status_code == 403
        assert api.get(f"{LIST}{history['right'].pk}/").status_code == 403

    def test_scripts_can_use_http_basic(self, history, staff_user):
        api = APIClient()
        credentials = b64encode(b"reviewer:a-long-test-password").decode()
        api.credentials(HTTP_AUTHORIZATION=f"Basic {credentials}")
        assert len(ids(api.get(LIST))) == 4


class TestList:
    def test_newest_first_with_the_stored_fields(self, staff_api, history):
        response = staff_api.get(LIST)
        assert ids(response) == [
            history[name].pk for name in ["newest", "unlabelled", "wrong", "right"]
        ]
        row = response.json()["results"][-1]
        assert row["digit"] == 3
        assert row["label"] == 3
        assert row["is_correct"] is True
        assert row["model_version"] == "aaaaaaaaaaaa"
        assert row["drawing_url"] == f"http://testserver{history['right'].drawing.url}"

    def test_cursor_pagination_walks_the_whole_history(self, staff_api, history):
        seen = []
        url = f"{LIST}?page_size=3"
        while url:
            body = staff_api.get(url).json()
            seen += [row["id"] for row in body["results"]]
            url = body["next"]
        assert seen == [history[name].pk for name in ["newest", "unlabelled", "wrong", "right"]]
        assert "count" not in body  # no full COUNT(*) over a large table

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("digit=3", ["unlabelled", "right"]),
            ("label=9", ["wrong"]),
            ("correct=true", ["right"]),
            ("correct=false", ["wrong"]),
            ("model_version=bbbbbbbbbbbb", ["wrong"]),
            ("digit=3&correct=true", ["right"]),
        ],
    )
    def test_filters(self, staff_api, history, query, expected):
        assert ids(staff_api.get(f"{LIST}?{query}")) == [history[name].pk for name in expected]

    def test_date_range(self, staff_api, history):
        after = (NOW - datetime.timedelta(days=2, hours=12)).isoformat()
        before = (NOW - datetime.timedelta(hours=12)).isoformat()
        response = staff_api.get(LIST, {"created_after": after, "created_before": before})
        assert ids(response) == [history["unlabelled"].pk, history["wrong"].pk]

    @pytest.mark.parametrize(
        "query",
        [
            "digit=10",
            "label=x",
            "correct=maybe",
            "created_after=yesterday",
            "page_size=0",
            "page_size=null",
            "page_size=100000",
            "cursor=not-a-cursor",
        ],
    )
    def test_invalid_filters_are_400(self, staff_api, history, query):
        response = staff_api.get(f"{LIST}?{query}")
        assert response.status_code == 400
        assert response.json()["detail"].split(":")[0] in query


class TestDetail:
    def test_one_prediction_with_its_drawing_url(self, staff_api, history):
        wrong = history["wrong"]
        response = staff_api.get(f"{LIST}{wrong.pk}/")
        assert response.status_code == 200
        body = response.json()
        assert body["id"] == wrong.pk
        assert body["digit"] == 4
        assert body["label"] == 9
        assert body["is_correct"] is False
        assert len(body["probabilities"]) == 10
        assert len(body["features"]) == 64
        assert body["drawing_url"].endswith(wrong.drawing.url)
        assert staff_api.get(body["drawing_url"]).status_code == 200

    def test_an_unknown_id_is_404(self, staff_api):
        response = staff_api.get(f"{LIST}999999/")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
