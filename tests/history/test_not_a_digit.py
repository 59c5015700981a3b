"""Drawings that are no digit: refused by the model, said by people, counted apart, trained on
only as what refuses them."""

import numpy as np
import pytest
from rest_framework.test import APIClient

from recognizer.history import statistics
from recognizer.ml import datasets, nondigits, training
from recognizer.ml.novelty import NOT_A_DIGIT, NotADigit
from recognizer.models import Prediction
from tests.support.canvases import (
    NON_DIGITS,
    PLAIN_DIGITS,
    canvas_image,
    data_uri,
    decode_png,
    png_bytes,
)
from tests.support.factories import prediction_torn

PREDICT = "/api/predict/"


def drawn(strokes) -> str:
    return data_uri(png_bytes(canvas_image(strokes)))


def ink(strokes) -> np.ndarray:
    return decode_png(png_bytes(canvas_image(strokes)))


class TestTheRefusalStep:
    def test_the_threshold_refuses_the_share_of_held_out_digits_asked_for(self):
        rng = np.random.default_rng(0)
        digits = rng.normal(0, 1, (2000, 4))
        others = rng.normal(6, 1, (400, 4))
        X = np.concatenate([digits, others])
        y = np.r_[np.arange(2000) % 10, np.full(400, NOT_A_DIGIT)]
        step = NotADigit(digit_refusals=0.05).fit(X, y)
        assert step.held_out_refused_["digits"] == pytest.approx(0.05, abs=0.02)
        assert step.held_out_refused_["non_digits"] > 0.95
        assert step.refuse(rng.normal(6, 1, (50, 4))).mean() > 0.9
        assert np.array_equal(step.transform(X[:3]), X[:3])

    @pytest.mark.parametrize("method", ["neighbours", "local outliers", "isolation forest"])
    def test_the_novelty_methods_learn_from_digits_alone(self, method):
        rng = np.random.default_rng(1)
        X = rng.normal(0, 1, (600, 4))
        step = NotADigit(method).fit(X, np.arange(600) % 10)
        assert step.refuse(rng.normal(8, 1, (20, 4))).all()

    def test_the_classifier_needs_negatives_and_a_known_method(self):
        X = np.zeros((20, 2))
        with pytest.raises(ValueError, match="NOT_A_DIGIT"):
            NotADigit().fit(X, np.arange(20) % 10)
        with pytest.raises(ValueError, match="method"):
            NotADigit("guesswork").fit(X, np.arange(20) % 10)


def test_the_synthetic_non_digits_are_the_same_every_time_and_apart_from_training():
    first, kinds = nondigits.non_digits(2, nondigits.EVALUATION_SEED)
    again, _ = nondigits.non_digits(2, nondigits.EVALUATION_SEED)
    trained, _ = nondigits.non_digits(2, nondigits.TRAINING_SEED)
    assert len(first) == 2 * len(nondigits.KINDS) and set(kinds) == set(nondigits.KINDS)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not any(np.array_equal(a, b) for a, b in zip(first, trained, strict=True))
    assert all(image.shape == (280, 280) and image.max() > 0.9 for image in first)


@pytest.mark.django_db
class TestTheApi:
    @pytest.mark.parametrize("name", list(NON_DIGITS))
    def test_what_is_no_digit_is_answered_not_a_digit_and_still_stored(self, name):
        response = APIClient().post(PREDICT, {"image": drawn(NON_DIGITS[name])}, format="json")
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["not_a_digit"] is True
        assert 0 <= body["digit"] <= 9  # the nearest digit, for clients that need one
        assert Prediction.objects.get(pk=body["id"]).not_a_digit is True

    def test_plain_digits_are_not_refused_in_a_batch_either(self):
        images = [drawn(strokes) for strokes in PLAIN_DIGITS.values()]
        images.append(drawn(NON_DIGITS["an X"]))
        response = APIClient().post("/api/predict/batch/", {"images": images}, format="json")
        assert response.status_code == 201, response.content
        refused = [result["not_a_digit"] for result in response.json()["results"]]
        assert refused == [False] * 10 + [True]

    def test_the_model_tells_its_threshold(self):
        body = APIClient().get("/api/model/").json()
        refusal = body["not_a_digit"]
        assert refusal["method"] == "classifier"
        assert 0 < refusal["threshold"] < 1
        assert refusal["held_out_refused"]["digits"] <= 0.05

    def test_the_schema_documents_the_field_and_the_label(self):
        schema = APIClient().get("/api/schema/?format=json").json()
        components = schema["components"]["schemas"]
        assert components["Prediction"]["properties"]["not_a_digit"]["type"] == "boolean"
        assert "not_a_digit" in components["Prediction"]["required"]
        label = components["FeedbackRequest"]["properties"]["label"]
        assert {"type": "string", "enum": ["not_a_digit"]} in label["oneOf"]


@pytest.mark.django_db
class TestSayingItWasNoDigit:
    def test_the_drawer_says_it_was_no_digit(self):
        api = APIClient()
        body = api.post(PREDICT, {"image": drawn(PLAIN_DIGITS[1])}, format="json").json()
        response = api.post(
            f"/api/predictions/{body['id']}/feedback/",
            {"label": "not_a_digit", "token": body["feedback_token"]},
            format="json",
        )
        assert response.status_code == 200, response.content
        assert response.json()["label"] == "not_a_digit"
        assert response.json()["is_correct"] is None
        assert Prediction.objects.get(pk=body["id"]).label == NOT_A_DIGIT

    @pytest.mark.parametrize("label", ["seven", 10, -1, True, "not a digit"])
    def test_any_other_label_is_a_bad_request(self, label):
        api = APIClient()
        body = api.post(PREDICT, {"image": drawn(PLAIN_DIGITS[1])}, format="json").json()
        response = api.post(
            f"/api/predictions/{body['id']}/feedback/",
            {"label": label, "token": body["feedback_token"]},
            format="json",
        )
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"

    def test_staff_find_them_by_label(self, admin_client):
        prediction_torn(1, first=0.9, second=0.05, label=NOT_A_DIGIT)
        prediction_torn(2, first=0.9, second=0.05, label=3)
        rows = admin_client.get("/api/predictions/?label=not_a_digit").json()["results"]
        assert [row["label"] for row in rows] == ["not_a_digit"]

    def test_statistics_count_them_apart_from_digit_accuracy(self, admin_client):
        refused = prediction_torn(1, first=0.9, second=0.05, label=NOT_A_DIGIT)
        refused.not_a_digit = True
        refused.save()
        prediction_torn(2, first=0.9, second=0.05, label=NOT_A_DIGIT)
        prediction_torn(3, first=0.9, second=0.05, label=3)
        stats = statistics.history_statistics()
        assert (stats.labelled, stats.correct) == (1, 1)
        assert (stats.non_digits.labelled, stats.non_digits.refused) == (2, 1)
        page = admin_client.get("/admin/recognizer/prediction/statistics/").content.decode()
        assert "2 drawings were not digits; the model said so for 1." in page
        wrong = admin_client.get("/api/predictions/?correct=false").json()["results"]
        assert wrong == []


@pytest.mark.django_db
class TestReview:
    def test_a_bulk_action_labels_them(self, staff_client):
        rows = [prediction_torn(n, first=0.9, second=0.05) for n in (1, 2)]
        response = staff_client.post(
            "/admin/recognizer/prediction/",
            {"action": "mark_not_a_digit", "_selected_action": [row.pk for row in rows]},
        )
        assert response.status_code == 302
        assert set(Prediction.objects.values_list("label", flat=True)) == {NOT_A_DIGIT}

    def test_the_queue_puts_refused_and_doubtful_drawings_first_with_why(self, staff_client):
        sure = prediction_torn(1, first=0.95, second=0.01)
        torn = prediction_torn(2, first=0.45, second=0.40)
        refused = prediction_torn(3, first=0.97, second=0.01)
        refused.not_a_digit = True
        refused.save()
        page = staff_client.get("/admin/recognizer/predictiontoreview/").content.decode()
        order = [page.index(f"/{row.pk}/change/") for row in (refused, torn, sure)]
        assert order == sorted(order)
        assert "not a digit?" in page
        assert "3 or 8?" in page


def test_drawings_labelled_no_digit_teach_the_refusal_and_never_a_digit():
    digits = datasets.open_dataset(datasets.parse_dataset("digits"))
    scribbles = [ink(NON_DIGITS["a dense scribble"]), ink(NON_DIGITS["an X"])]
    history = datasets.memory_dataset(
        datasets.parse_dataset("history"), scribbles, [NOT_A_DIGIT] * 2, [{"path": "drawings"}]
    )
    trained = training.train(
        [digits, history],
        factor=0,
        n_jobs=1,
        cv_folds=0,
        history_repeat=5,
        classifier_params=training.FAST_CLASSIFIER,
        non_digits_per_kind=5,
        drawn_digits_per_class=5,
    )
    assert list(trained.pipeline.classes_) == list(range(10))
    assert trained.metadata["refusal"]["negatives"] == {"synthetic": 40, "labelled_rows": 10}
    assert trained.metadata["refusal"]["drawn_digits"] == 50
