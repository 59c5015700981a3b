"""A challenger in shadow: it guesses every new drawing beside the model in service,
unseen by the person drawing; the admin compares the two and promotes it."""

import copy
import datetime
import io
import logging
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from recognizer.history import statistics
from recognizer.ml import artifacts
from recognizer.ml.guessing import LoadedModel
from recognizer.models import ModelActivation, ModelVersion, Prediction
from recognizer.registry import services as registry
from recognizer.templatetags.recognizer_format import percent
from tests.conftest import register
from tests.support.canvases import SEVEN, drawing_data_uri, one_data_uri
from tests.support.factories import prediction_make
from tests.support.pages import listed_ids

pytestmark = pytest.mark.django_db

PREDICT = "/api/predict/"
VERSIONS = "/admin/recognizer/modelversion/"
PREDICTIONS = "/admin/recognizer/prediction/"


@pytest.fixture
def challenger(other_version) -> ModelVersion:
    return registry.model_version_challenge(version=other_version.version, via="tests")


@pytest.fixture
def operator(staff_client, staff_user):
    """A reviewer who may also change the model in service and the challenger."""
    staff_user.user_permissions.add(Permission.objects.get(codename="activate_modelversion"))
    return staff_client


def role(name: str) -> str | None:
    return ModelVersion.objects.filter(role=name).values_list("version", flat=True).first()


def predict(**body) -> dict:
    response = APIClient().post(PREDICT, {"image": one_data_uri(), **body}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


class TestRegistry:
    def test_a_version_becomes_the_challenger_then_stops(self, model_in_service, other_version):
        registry.model_version_challenge(version=other_version.version, via="tests")
        assert role("challenger") == other_version.version
        assert role("active") == model_in_service.version
        assert registry.model_version_stop_challenge(via="tests") == other_version
        assert role("challenger") is None
        actions = list(ModelActivation.objects.order_by("id").values_list("action", "version"))
        assert actions[-2:] == [
            ("challenge", other_version.pk),
            ("stop_challenge", other_version.pk),
        ]

    def test_one_challenger_at_a_time(self, model_in_service, other_version, training_result):
        third = copy.deepcopy(training_result.pipeline).set_params(features__min_ink=0.3)
        third = register(artifacts.serialize(third), training_result.metadata, active=False)
        registry.model_version_challenge(version=other_version.version, via="tests")
        registry.model_version_challenge(version=third.version, via="tests")
        assert role("challenger") == third.version
        change = ModelActivation.objects.latest()
        assert (change.action, change.version, change.previous) == (
            "challenge",
            third,
            other_version,
        )

    def test_the_version_in_service_cannot_challenge_itself(self, model_in_service):
        with pytest.raises(registry.RegistryError, match="cannot challenge itself"):
            registry.model_version_challenge(version=model_in_service.version, via="tests")
        assert role("challenger") is None

    def test_a_version_that_cannot_run_here_cannot_challenge(self, model_in_service, other_version):
        ModelVersion.objects.filter(pk=other_version.pk).update(metadata={"format": 2})
        with pytest.raises(registry.RegistryError, match="cannot be the challenger"):
            registry.model_version_challenge(version=other_version.version, via="tests")

    def test_promotion_serves_the_challenger_and_rolls_back(
        self, model_in_service, challenger, staff_user
    ):
        promoted = registry.model_version_promote(via="admin", by=staff_user)
        assert promoted == challenger
        assert (role("active"), role("challenger")) == (challenger.version, None)
        change = ModelActivation.objects.latest()
        assert (change.action, change.previous, change.by) == (
            "promote",
            model_in_service,
            staff_user,
        )
        assert predict()["model_version"] == challenger.version
        registry.model_version_rollback(via="tests")
        assert role("active") == model_in_service.version

    def test_without_a_challenger_there_is_nothing_to_stop_or_promote(self, model_in_service):
        for change in (registry.model_version_stop_challenge, registry.model_version_promote):
            with pytest.raises(registry.RegistryError, match="no challenger"):
                change(via="tests")

    def test_the_command(self, model_in_service, other_version):
        output = io.StringIO()
        call_command("activate_model", "--challenger", other_version.version, stdout=output)
        assert role("challenger") == other_version.version
        call_command("activate_model", "--no-challenger", stdout=output)
        assert role("challenger") is None
        call_command("activate_model", "--challenger", other_version.version, stdout=output)
        call_command("activate_model", "--promote", stdout=output)
        assert role("active") == other_version.version
        assert "is now the challenger" in output.getvalue()
        assert "is now in service" in output.getvalue()
        with pytest.raises(CommandError, match="no challenger"):
            call_command("activate_model", "--no-challenger", stdout=output)


class TestShadowGuesses:
    def test_stored_for_new_predictions_only_while_a_challenger_is_set(
        self, model_in_service, other_version
    ):
        before = predict()
        registry.model_version_challenge(version=other_version.version, via="tests")
        during = predict()
        registry.model_version_stop_challenge(via="tests")
        after = predict()
        rows = Prediction.objects.in_bulk([before["id"], during["id"], after["id"]])
        assert rows[before["id"]].challenger_guess is None
        assert rows[after["id"]].challenger_guess is None
        shadow = rows[during["id"]].challenger_guess
        assert shadow.model_version == other_version.version
        assert shadow.digit == 1
        assert 0 < shadow.confidence <= 1
        # Never shown to the person drawing: the answer is the usual one.
        assert set(during) == set(before)
        assert during["model_version"] == model_in_service.version

    def test_a_batch_is_guessed_by_the_challenger_too(self, challenger):
        images = [one_data_uri(), drawing_data_uri(SEVEN)]
        response = APIClient().post("/api/predict/batch/", {"images": images}, format="json")
        ids = [answer["id"] for answer in response.json()["results"]]
        rows = Prediction.objects.in_bulk(ids)
        assert [rows[pk].challenger_digit for pk in ids] == [1, 7]
        assert {rows[pk].challenger_version for pk in ids} == {challenger.version}

    def test_a_failing_challenger_never_costs_the_answer(self, challenger, caplog):
        original = LoadedModel.predict_many

        def challenger_fails(model, inks):
            if model.version == challenger.version:
                raise RuntimeError("a broken model on trial")
            return original(model, inks)

        with (
            mock.patch.object(LoadedModel, "predict_many", challenger_fails),
            caplog.at_level(logging.ERROR, logger="recognizer.history.services"),
        ):
            answer = predict()
        assert Prediction.objects.get(pk=answer["id"]).challenger_guess is None
        assert f"challenger {challenger.version} could not guess" in caplog.text

    def test_the_staff_history_shows_the_challenger_guess(self, challenger, staff_user):
        api = APIClient()
        api.force_authenticate(staff_user)
        with_one = predict()["id"]
        registry.model_version_stop_challenge(via="tests")
        without = predict()["id"]
        shadow = api.get(f"/api/predictions/{with_one}/").json()["challenger"]
        assert set(shadow) == {"model_version", "digit", "confidence"}
        assert (shadow["model_version"], shadow["digit"]) == (challenger.version, 1)
        assert api.get(f"/api/predictions/{without}/").json()["challenger"] is None
        listed = {
            row["id"]: row["challenger"] for row in api.get("/api/predictions/").json()["results"]
        }
        assert listed[without] is None and listed[with_one]["digit"] == 1


def stored(n: int, *, digit: int, shadow: int | None, label: int | None, at, version: str):
    """A stored prediction guessed `digit`, and `shadow` by the challenger `version`."""
    return prediction_make(
        created_at=at,
        digit=digit,
        confidence=0.8,
        model_version="aaaaaaaaaaaa",
        challenger_version=None if shadow is None else version,
        challenger_digit=shadow,
        challenger_confidence=None if shadow is None else 0.7,
        label=label,
    )


@pytest.fixture
def known_history(challenger) -> dict[str, Prediction]:
    """Since the challenger started: three agreements, two disagreements, three
    labelled (the guess served right once, the challenger twice); before it, one more."""
    since = challenger.role_since
    later = since + datetime.timedelta(seconds=1)
    version = challenger.version
    return {
        "both right": stored(1, digit=1, shadow=1, label=1, at=later, version=version),
        "challenger right": stored(2, digit=2, shadow=3, label=3, at=later, version=version),
        "both wrong": stored(3, digit=4, shadow=4, label=9, at=later, version=version),
        "unlabelled, disagree": stored(4, digit=5, shadow=6, label=None, at=later, version=version),
        "unlabelled, agree": stored(5, digit=7, shadow=7, label=None, at=later, version=version),
        "no shadow": stored(6, digit=2, shadow=None, label=2, at=later, version=version),
        "before": stored(
            7, digit=0, shadow=8, label=8, at=since - datetime.timedelta(days=1), version=version
        ),
        "other challenger": stored(8, digit=0, shadow=8, label=8, at=later, version="bbbbbbbbbbbb"),
    }


class TestFigures:
    def test_agreement_and_accuracy_since_the_challenger_started(self, known_history, challenger):
        figures = statistics.challenger_figures()
        assert (figures.version, figures.since) == (challenger.version, challenger.role_since)
        assert (figures.guessed, figures.agreed, figures.labelled) == (5, 3, 3)
        assert (figures.served_correct, figures.challenger_correct) == (1, 2)
        assert figures.agreement == pytest.approx(0.6)
        assert figures.served_accuracy == pytest.approx(1 / 3)
        assert figures.challenger_accuracy == pytest.approx(2 / 3)

    def test_no_figures_without_a_challenger(self, model_in_service):
        assert statistics.challenger_figures() is None

    def test_the_model_versions_page_shows_them(self, staff_client, known_history, challenger):
        page = staff_client.get(VERSIONS).content.decode()
        assert f"Challenger {challenger.version}, guessing in shadow since" in page
        assert '<td id="challenger-agreement">60.0% (3 of 5)</td>' in page
        assert '<td id="served-accuracy">33.3% (1 right)</td>' in page
        assert '<td id="challenger-accuracy">66.7% (2 right)</td>' in page
        assert f"{PREDICTIONS}?challenger=disagree" in page
        assert "Promote the challenger" not in page  # this reviewer may not change models

    def test_the_disagreements_filter(self, staff_client, known_history):
        response = staff_client.get(PREDICTIONS, {"challenger": "disagree"})
        names = {prediction.pk: name for name, prediction in known_history.items()}
        listed = {names[pk] for pk in listed_ids(response)}
        assert listed == {"challenger right", "unlabelled, disagree", "before", "other challenger"}
        assert "the model in service and the challenger" in response.content.decode()

    def test_the_filtered_list_shows_what_each_guessed(self, staff_client, known_history):
        page = staff_client.get(PREDICTIONS, {"challenger": "disagree"}).content.decode()
        assert 'class="column-challenger"' in page
        assert "6 <small>at 70%</small>" in page  # beside the 5 served
        unfiltered = staff_client.get(PREDICTIONS).content.decode()
        assert 'class="column-challenger"' not in unfiltered

    def test_the_change_page_shows_the_challengers_guess(self, staff_client, known_history):
        disagreed = known_history["unlabelled, disagree"]
        page = staff_client.get(f"{PREDICTIONS}{disagreed.pk}/change/").content.decode()
        assert "Challenger, guessing in shadow" in page
        assert "6 <small>at 70%</small>" in page
        assert disagreed.challenger_version in page
        alone = known_history["no shadow"]
        page = staff_client.get(f"{PREDICTIONS}{alone.pk}/change/").content.decode()
        assert "Challenger, guessing in shadow" not in page


class TestAdmin:
    def test_an_operator_makes_a_challenger_then_promotes_it(
        self, operator, staff_user, model_in_service, other_version
    ):
        action = {"action": "challenge", "index": 0, "_selected_action": [other_version.pk]}
        response = operator.post(VERSIONS, action, follow=True)
        assert f"Model {other_version.version} is the challenger" in response.content.decode()
        assert role("challenger") == other_version.version
        page = operator.get(VERSIONS).content.decode()
        assert "Promote the challenger" in page and "Stop the challenger" in page
        response = operator.post(f"{VERSIONS}promote/", follow=True)
        assert f"Model {other_version.version} is in service" in response.content.decode()
        assert (role("active"), role("challenger")) == (other_version.version, None)
        change = ModelActivation.objects.latest()
        assert (change.action, change.by, change.via) == ("promote", staff_user, "admin")

    def test_an_operator_stops_the_challenger(self, operator, challenger):
        response = operator.post(f"{VERSIONS}stop-challenger/", follow=True)
        assert (
            f"Model {challenger.version} is no longer the challenger" in response.content.decode()
        )
        assert role("challenger") is None

    def test_a_reviewer_may_not_change_the_challenger(
        self, staff_client, model_in_service, challenger
    ):
        response = staff_client.post(f"{VERSIONS}promote/", follow=True)
        assert "You may not change the model in service." in response.content.decode()
        staff_client.post(f"{VERSIONS}stop-challenger/")
        assert (role("active"), role("challenger")) == (
            model_in_service.version,
            challenger.version,
        )

    def test_promoting_and_stopping_ask_first(self, operator, model_in_service, challenger):
        promote = operator.get(f"{VERSIONS}promote/").content.decode()
        assert (
            f"Put the challenger, model {challenger.version}, in service in place of model "
            f"{model_in_service.version}." in promote
        )
        assert 'value="Yes, promote the challenger"' in promote
        stop = operator.get(f"{VERSIONS}stop-challenger/").content.decode()
        assert f"Stop model {challenger.version} guessing new drawings in shadow." in stop
        assert (role("active"), role("challenger")) == (
            model_in_service.version,
            challenger.version,
        )

    def test_the_challengers_row_agrees_with_its_box(self, operator, known_history, challenger):
        page = operator.get(VERSIONS).content.decode()
        box = statistics.challenger_figures()
        assert box.labelled > 0
        shown = f"{percent(box.challenger_accuracy, 1)} of {box.labelled}"
        row = page[page.index(f">{challenger.version}<") :]
        assert shown in row[: row.index("</tr>")]

    def test_the_version_in_service_cannot_be_made_challenger(self, operator, model_in_service):
        action = {"action": "challenge", "index": 0, "_selected_action": [model_in_service.pk]}
        response = operator.post(VERSIONS, action, follow=True)
        assert "cannot challenge itself" in response.content.decode()
