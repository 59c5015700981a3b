"""The uncertainty queue: each prediction keeps the margin between its two likeliest
digits; the admin's "drawings to review" and the staff API list the unlabelled ones
least certain first."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from rest_framework.test import APIClient

from recognizer.models import Prediction
from tests.support.answers import assert_error
from tests.support.canvases import one_data_uri
from tests.support.factories import prediction_build, prediction_torn
from tests.support.pages import listed_ids

QUEUE = "/admin/recognizer/predictiontoreview/"
HISTORY = "/api/predictions/"
NOW = timezone.now()


@pytest.fixture
def history() -> dict[str, Prediction]:
    """Unlabelled guesses of every certainty, two of them equally certain, and a
    labelled one that would otherwise come first."""
    return {
        "sure": prediction_torn(1, first=0.95, second=0.01),
        "torn": prediction_torn(2, first=0.45, second=0.40),
        "hesitant": prediction_torn(3, first=0.60, second=0.30),
        "torn too": prediction_torn(4, first=0.45, second=0.40),
        "labelled": prediction_torn(5, first=0.34, second=0.33, label=8),
        "fairly sure": prediction_torn(6, first=0.80, second=0.10),
    }


QUEUE_ORDER = ["torn", "torn too", "hesitant", "fairly sure", "sure"]


def names(history: dict[str, Prediction], ids: list[int]) -> list[str]:
    by_id = {prediction.pk: name for name, prediction in history.items()}
    return [by_id[pk] for pk in ids]


@pytest.mark.django_db
class TestMargin:
    def test_a_prediction_stores_the_margin_of_its_two_likeliest_digits(self):
        answer = APIClient().post("/api/predict/", {"image": one_data_uri()}, format="json")
        prediction = Prediction.objects.get(pk=answer.json()["id"])
        second, first = sorted(prediction.probabilities)[-2:]
        assert prediction.margin == pytest.approx(first - second)
        assert 0 < prediction.margin <= prediction.confidence

    def test_rows_written_without_one_get_it_from_their_probabilities(self, history):
        Prediction.objects.bulk_create(
            [
                prediction_build(
                    drawing="drawings/test/bulk.png",
                    digit=1,
                    confidence=0.7,
                    probabilities=[0.0, 0.7, 0.2] + [0.1 / 7] * 7,
                )
            ]
        )
        assert Prediction.objects.get(drawing="drawings/test/bulk.png").margin == pytest.approx(0.5)
        assert history["torn"].margin == pytest.approx(0.05)


@pytest.mark.django_db
class TestAdminQueue:
    def test_unlabelled_drawings_least_certain_first(self, staff_client, history):
        response = staff_client.get(QUEUE)
        assert response.status_code == 200
        assert names(history, listed_ids(response)) == QUEUE_ORDER
        page = response.content.decode()
        assert page.count('class="drawing-thumbnail"') == 5
        assert 'name="form-0-label"' in page  # labelled in place
        assert "8 <small>at 40%</small>" in page  # torn: 3 at 45%, then 8
        assert "least certain guess first" in page

    def test_the_order_holds_whatever_column_was_clicked(self, staff_client, history):
        response = staff_client.get(QUEUE, {"o": "-2"})
        assert names(history, listed_ids(response)) == QUEUE_ORDER

    def test_a_labelled_drawing_leaves_the_queue(self, staff_client, staff_user, history):
        torn = history["torn"]
        form = {
            "form-TOTAL_FORMS": "5",
            "form-INITIAL_FORMS": "5",
            "_save": "Save",
            **{f"form-{i}-id": str(history[name].pk) for i, name in enumerate(QUEUE_ORDER)},
            **{f"form-{i}-label": "" for i in range(5)},
            "form-0-label": "8",
        }
        response = staff_client.post(QUEUE, form)
        assert response.status_code == 302, response.content
        torn.refresh_from_db()
        assert (torn.label, torn.labeller, torn.labelled_by) == (8, "staff", staff_user)
        assert names(history, listed_ids(staff_client.get(QUEUE))) == QUEUE_ORDER[1:]

    def test_the_guess_was_right_action(self, staff_client, history):
        action = {
            "action": "mark_guess_right",
            "index": 0,
            "_selected_action": [history["sure"].pk],
        }
        staff_client.post(QUEUE, action)
        assert Prediction.objects.get(pk=history["sure"].pk).label == 3
        assert names(history, listed_ids(staff_client.get(QUEUE))) == QUEUE_ORDER[:-1]

    def test_listed_in_the_admin_index_for_reviewers(self, staff_client):
        assert QUEUE in staff_client.get("/admin/").content.decode()

    def test_a_staff_member_without_the_predictions_permissions_cannot_open_it(
        self, client, django_user_model
    ):
        staff = django_user_model.objects.create_user(
            "no-perms", password="a-long-password", is_staff=True
        )
        client.force_login(staff)
        assert client.get(QUEUE).status_code == 403
        assert QUEUE not in client.get("/admin/").content.decode()


@pytest.mark.django_db
class TestApiQueue:
    def test_the_same_order_through_the_api(self, staff_api, history):
        response = staff_api.get(HISTORY, {"labelled": "false", "ordering": "margin"})
        assert response.status_code == 200, response.content
        rows = response.json()["results"]
        assert names(history, [row["id"] for row in rows]) == QUEUE_ORDER
        assert rows[0]["margin"] == pytest.approx(0.05)

    def test_pages_of_the_queue_follow_one_another(self, staff_api, history):
        seen, url = [], HISTORY
        params = {"labelled": "false", "ordering": "margin", "page_size": 2}
        while url:
            page = staff_api.get(url, params if url == HISTORY else None).json()
            seen += [row["id"] for row in page["results"]]
            url = page["next"]
        assert names(history, seen) == QUEUE_ORDER

    def test_newest_first_is_still_the_default(self, staff_api, history):
        rows = staff_api.get(HISTORY, {"labelled": "true"}).json()["results"]
        assert names(history, [row["id"] for row in rows]) == ["labelled"]
        rows = staff_api.get(HISTORY).json()["results"]
        assert names(history, [row["id"] for row in rows])[:2] == ["sure", "torn"]

    def test_an_unknown_ordering_is_a_bad_request(self, staff_api):
        assert_error(staff_api.get(HISTORY, {"ordering": "confidence"}), 400, "invalid_choice")


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_existing_rows_their_margin():
    before, after = (
        ("recognizer", "0008_challenger_margin_rescore"),
        ("recognizer", "0009_fill_margins"),
    )
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("recognizer")
    try:
        executor.migrate([before])
        old = executor.loader.project_state([before]).apps.get_model("recognizer", "Prediction")
        for n in range(5):
            old.objects.create(
                drawing=f"drawings/old/{n}.png",
                features=[0] * 64,
                digit=n,
                confidence=0.5,
                probabilities=[0.5 - 0.1 * n, 0.5] + [0.1 * n / 8] * 8,
                model_version="aaaaaaaaaaaa",
            )
        old.objects.update(margin=None)  # as rows stored before the column existed
        executor = MigrationExecutor(connection)
        executor.migrate([after])
        margins = dict(old.objects.values_list("digit", "margin"))
        assert margins == pytest.approx({n: 0.1 * n for n in range(5)})
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
