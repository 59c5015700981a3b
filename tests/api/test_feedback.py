import pytest
from django.test import Client
from rest_framework.test import APIClient

from recognizer.history import services
from recognizer.models import LabelChange, Prediction
from tests.support.answers import assert_error
from tests.support.canvases import one_data_uri

pytestmark = pytest.mark.django_db


def feedback_url(prediction_id: int) -> str:
    return f"/api/predictions/{prediction_id}/feedback/"


def predict_from_api() -> dict:
    response = APIClient().post("/api/predict/", {"image": one_data_uri()}, format="json")
    assert response.status_code == 201
    return response.json()


@pytest.fixture
def page_browser(client):
    """A browser that opened the drawing page and guessed one drawing there."""
    client.get("/")
    client.csrf_token = client.cookies["csrftoken"].value
    response = client.post(
        "/api/predict/",
        {"image": one_data_uri()},
        content_type="application/json",
        headers={"X-CSRFToken": client.csrf_token},
    )
    assert response.status_code == 201
    client.prediction_id = response.json()["id"]
    return client


def post_from_page(browser, prediction_id: int, body: dict):
    return browser.post(
        feedback_url(prediction_id),
        body,
        content_type="application/json",
        headers={"X-CSRFToken": browser.csrf_token},
    )


class TestFromThePage:
    def test_the_session_that_drew_it_can_correct_it(self, page_browser):
        response = post_from_page(page_browser, page_browser.prediction_id, {"label": 7})
        assert response.status_code == 200, response.content
        assert response.json()["label"] == 7
        assert response.json()["is_correct"] is False
        prediction = Prediction.objects.get(pk=page_browser.prediction_id)
        assert prediction.label == 7
        assert prediction.labelled_at is not None
        assert prediction.labeller == Prediction.Labeller.SESSION
        assert prediction.labelled_by is None

    def test_a_second_answer_replaces_the_first(self, page_browser):
        post_from_page(page_browser, page_browser.prediction_id, {"label": 7})
        first = Prediction.objects.get(pk=page_browser.prediction_id).labelled_at
        response = post_from_page(page_browser, page_browser.prediction_id, {"label": 1})
        assert response.status_code == 200
        prediction = Prediction.objects.get(pk=page_browser.prediction_id)
        assert prediction.label == 1
        assert prediction.labelled_at >= first
        assert response.json()["is_correct"] is True

    @pytest.mark.parametrize("label", [-1, 10, 99, "seven", None, 3.5])
    def test_a_label_outside_0_to_9_is_refused(self, page_browser, label):
        response = post_from_page(page_browser, page_browser.prediction_id, {"label": label})
        assert response.status_code == 400
        assert response.json()["detail"].startswith("label: ")
        assert Prediction.objects.get(pk=page_browser.prediction_id).label is None

    def test_a_missing_label_is_refused(self, page_browser):
        response = post_from_page(page_browser, page_browser.prediction_id, {})
        assert response.status_code == 400
        assert response.json()["code"] == "required"

    def test_another_session_cannot_correct_it(self, page_browser):
        other = Client()
        other.get("/")
        token = other.cookies["csrftoken"].value
        response = other.post(
            feedback_url(page_browser.prediction_id),
            {"label": 7},
            content_type="application/json",
            headers={"X-CSRFToken": token},
        )
        assert response.status_code == 403
        assert response.json()["code"] == "not_yours"
        assert Prediction.objects.get(pk=page_browser.prediction_id).label is None

    def test_without_the_csrf_token_the_session_is_not_trusted(self, page_browser):
        forged = APIClient(enforce_csrf_checks=True)
        forged.cookies = page_browser.cookies
        response = forged.post(
            feedback_url(page_browser.prediction_id), {"label": 7}, format="json"
        )
        assert response.status_code == 403
        assert "CSRF" in response.json()["detail"]
        assert Prediction.objects.get(pk=page_browser.prediction_id).label is None


class TestFromTheAPI:
    def test_the_feedback_token_gives_the_right_to_correct(self):
        made = predict_from_api()
        response = APIClient().post(
            feedback_url(made["id"]), {"label": 4, "token": made["feedback_token"]}, format="json"
        )
        assert response.status_code == 200
        prediction = Prediction.objects.get(pk=made["id"])
        assert prediction.label == 4
        assert prediction.labeller == Prediction.Labeller.TOKEN

    @pytest.mark.parametrize("token", [None, "", "0" * 32, "not-a-token"])
    def test_without_a_valid_token_an_anonymous_caller_is_refused(self, token):
        made = predict_from_api()
        body = {"label": 4} if token is None else {"label": 4, "token": token}
        response = APIClient().post(feedback_url(made["id"]), body, format="json")
        assert response.status_code == 403
        assert Prediction.objects.get(pk=made["id"]).label is None

    def test_a_token_is_good_for_its_own_prediction_only(self):
        first, second = predict_from_api(), predict_from_api()
        response = APIClient().post(
            feedback_url(second["id"]),
            {"label": 4, "token": first["feedback_token"]},
            format="json",
        )
        assert response.status_code == 403
        assert Prediction.objects.get(pk=second["id"]).label is None

    def test_an_unknown_prediction_is_not_found(self):
        response = APIClient().post(feedback_url(999999), {"label": 4}, format="json")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


class TestFromStaff:
    def test_staff_can_correct_any_prediction(self, staff_user):
        made = predict_from_api()
        api = APIClient()
        api.force_authenticate(staff_user)
        response = api.post(feedback_url(made["id"]), {"label": 9}, format="json")
        assert response.status_code == 200
        prediction = Prediction.objects.get(pk=made["id"])
        assert prediction.label == 9
        assert prediction.labeller == Prediction.Labeller.STAFF
        assert prediction.labelled_by == staff_user

    def test_a_logged_in_user_who_is_not_staff_is_refused(self, django_user_model):
        made = predict_from_api()
        user = django_user_model.objects.create_user("someone", password="a-long-password")
        api = APIClient()
        api.force_authenticate(user)
        response = api.post(feedback_url(made["id"]), {"label": 9}, format="json")
        assert response.status_code == 403


def staff_api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def changes(prediction_id: int) -> list[tuple]:
    return list(
        LabelChange.objects.filter(prediction_id=prediction_id).values_list(
            "label", "labeller", "labelled_by__username"
        )
    )


class TestAReviewersLabelStaysPut:
    """The drawer may change their own answer until a reviewer labels the drawing;
    the reviewer's label is then final for them, and every change is kept."""

    def test_the_token_holder_may_change_their_own_label(self):
        made = predict_from_api()
        for label in (4, 1):
            body = {"label": label, "token": made["feedback_token"]}
            assert (
                APIClient().post(feedback_url(made["id"]), body, format="json").status_code == 200
            )
        assert Prediction.objects.get(pk=made["id"]).label == 1
        assert changes(made["id"]) == [(4, "token", None), (1, "token", None)]

    def test_the_token_cannot_overwrite_a_reviewers_label(self, staff_user):
        made = predict_from_api()
        staff_api(staff_user).post(feedback_url(made["id"]), {"label": 1}, format="json")
        body = {"label": 7, "token": made["feedback_token"]}
        response = APIClient().post(feedback_url(made["id"]), body, format="json")
        assert_error(response, 403, "already_labelled")
        assert "labelled this drawing as 1" in response.json()["detail"]
        prediction = Prediction.objects.get(pk=made["id"])
        assert (prediction.label, prediction.labeller) == (1, "staff")
        assert changes(made["id"]) == [(1, "staff", staff_user.username)]

    def test_the_page_session_cannot_overwrite_a_reviewers_label(self, page_browser, staff_user):
        staff_api(staff_user).post(
            feedback_url(page_browser.prediction_id), {"label": 3}, format="json"
        )
        response = post_from_page(page_browser, page_browser.prediction_id, {"label": 8})
        assert_error(response, 403, "already_labelled")
        assert Prediction.objects.get(pk=page_browser.prediction_id).label == 3

    def test_a_reviewer_may_overrule_the_drawer_and_relabel(self, page_browser, staff_user):
        post_from_page(page_browser, page_browser.prediction_id, {"label": 8})
        reviewer = staff_api(staff_user)
        for label in (3, 5):
            response = reviewer.post(
                feedback_url(page_browser.prediction_id), {"label": label}, format="json"
            )
            assert response.status_code == 200
        prediction = Prediction.objects.get(pk=page_browser.prediction_id)
        assert (prediction.label, prediction.labeller) == (5, "staff")
        assert changes(page_browser.prediction_id) == [
            (8, "session", None),
            (3, "staff", staff_user.username),
            (5, "staff", staff_user.username),
        ]

    def test_a_label_from_the_admin_is_final_for_the_drawer(self, page_browser, staff_user):
        prediction = Prediction.objects.get(pk=page_browser.prediction_id)
        services.predictions_label(
            predictions=Prediction.objects.filter(pk=prediction.pk),
            label="guess",
            user=staff_user,
        )
        response = post_from_page(page_browser, prediction.pk, {"label": 8})
        assert_error(response, 403, "already_labelled")
        assert changes(prediction.pk) == [(prediction.digit, "staff", staff_user.username)]

    def test_the_service_refuses_the_drawer_under_its_own_lock(self, staff_user):
        """A reviewer labelling while the drawer's request runs still wins."""
        made = predict_from_api()
        seen_by_drawer = Prediction.objects.get(pk=made["id"])  # read before the reviewer
        staff_api(staff_user).post(feedback_url(made["id"]), {"label": 2}, format="json")
        with pytest.raises(services.PredictionKept) as refused:
            services.prediction_label(
                prediction=seen_by_drawer, label=9, labeller=Prediction.Labeller.TOKEN
            )
        assert refused.value.code == "already_labelled"
        assert Prediction.objects.get(pk=made["id"]).label == 2


class TestTheFeedbackAnswer:
    def test_a_token_holder_is_not_given_a_drawing_address_it_cannot_open(self):
        made = predict_from_api()
        body = {"label": 4, "token": made["feedback_token"]}
        answer = APIClient().post(feedback_url(made["id"]), body, format="json").json()
        assert answer["drawing_url"] is None

    def test_the_page_session_is_given_the_address_and_can_open_it(self, page_browser):
        answer = post_from_page(page_browser, page_browser.prediction_id, {"label": 7}).json()
        assert answer["drawing_url"].startswith("http://testserver/")
        assert page_browser.get(answer["drawing_url"]).status_code == 200


def test_a_reviewers_not_a_digit_is_final_in_words(staff_user):
    made = predict_from_api()
    staff_api(staff_user).post(feedback_url(made["id"]), {"label": "not_a_digit"}, format="json")
    body = {"label": 7, "token": made["feedback_token"]}
    response = APIClient().post(feedback_url(made["id"]), body, format="json")
    answer = assert_error(response, 403, "already_labelled")
    assert answer["detail"] == (
        "A reviewer has labelled this drawing as not a digit; that label is final."
    )
