"""Model versions in the admin: their figures, and who may change the one in service."""

import pytest
from django.contrib.auth.models import Permission

from recognizer.models import ModelActivation, ModelVersion
from tests.support.factories import prediction_make

pytestmark = pytest.mark.django_db

LIST = "/admin/recognizer/modelversion/"
ROLLBACK = "/admin/recognizer/modelversion/rollback/"


@pytest.fixture
def operator(staff_client, staff_user):
    """A reviewer who may also change the model in service."""
    staff_user.user_permissions.add(Permission.objects.get(codename="activate_modelversion"))
    return staff_client


def activate(model_version: ModelVersion) -> dict:
    """The changelist's form, with the "put in service" action on one version."""
    return {"action": "activate", "index": 0, "_selected_action": [model_version.pk]}


def active() -> str:
    return ModelVersion.objects.get(role=ModelVersion.Role.IN_SERVICE).version


def test_the_list_shows_each_version_with_its_figures(staff_client, model_in_service):
    for index in range(4):
        prediction_make(
            digit=1, model_version=model_in_service.version, label=1 if index < 3 else 2
        )
    page = staff_client.get(LIST).content.decode()
    assert model_in_service.version in page
    assert "in service" in page
    assert "75.0% of 4" in page  # three of the four labelled guesses were right
    accuracy = model_in_service.metadata["test_accuracy"]
    assert f"{accuracy:.1%}" in page
    assert "Roll back" not in page  # this reviewer may not change the model


def test_putting_a_version_in_service_needs_the_permission(
    staff_client, model_in_service, other_version
):
    staff_client.post(LIST, activate(other_version))
    assert active() == model_in_service.version


def test_an_operator_activates_and_rolls_back(
    operator, staff_user, model_in_service, other_version
):
    response = operator.post(LIST, activate(other_version), follow=True)
    assert f"Model {other_version.version} is in service" in response.content.decode()
    assert active() == other_version.version
    change = ModelActivation.objects.latest()
    assert (change.by, change.via, change.previous) == (staff_user, "admin", model_in_service)

    assert "Roll back to the previous version" in operator.get(LIST).content.decode()
    response = operator.post(ROLLBACK, follow=True)
    assert active() == model_in_service.version
    assert (
        f"Model {model_in_service.version} is in service again, in place of model "
        f"{other_version.version}." in response.content.decode()
    )
    assert ModelActivation.objects.latest().action == "rollback"
    history = operator.get("/admin/recognizer/modelactivation/").content.decode()
    assert history.count(staff_user.username) >= 2


def test_rolling_back_the_first_version_explains_why_not(operator, model_in_service):
    response = operator.post(ROLLBACK, follow=True)
    assert "there is no previous one" in response.content.decode()
    assert active() == model_in_service.version


def test_rollback_asks_first_and_says_what_it_will_do(operator, model_in_service, other_version):
    operator.post(LIST, activate(other_version))
    page = operator.get(ROLLBACK)
    assert page.status_code == 200
    assert (
        f"Put model {model_in_service.version} back in service in place of model "
        f"{other_version.version}." in page.content.decode()
    )
    assert active() == other_version.version  # asking changed nothing


def test_rollback_is_for_operators_only(staff_client, model_in_service, other_version):
    staff_client.post(LIST, activate(other_version))
    response = staff_client.post(ROLLBACK, follow=True)
    assert "You may not change the model in service." in response.content.decode()
    assert active() == model_in_service.version


def test_versions_are_never_added_or_deleted_by_hand(operator, model_in_service):
    assert operator.get(f"{LIST}add/").status_code == 403
    assert operator.get(f"{LIST}{model_in_service.pk}/delete/").status_code == 403
    assert operator.get(f"{LIST}{model_in_service.pk}/change/").status_code == 200


def test_the_quick_model_is_marked_and_test_accuracy_explained(operator, model_in_service):
    model_in_service.metadata["fast"] = True
    model_in_service.save(update_fields=["metadata"])
    page = operator.get(LIST).content.decode()
    assert "in service · quick model, trained in seconds" in page
    assert "held out from training: tidy scanned digits" in page
