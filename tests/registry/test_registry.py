"""The model registry: versions named by their content, one in service, every change
recorded, artifacts from before the registry imported."""

import hashlib
import io
import json

import pytest
from django.core.management import CommandError, call_command

from recognizer.ml import artifacts
from recognizer.models import ModelActivation, ModelVersion
from recognizer.registry import services as registry
from recognizer.storage import model_storage

pytestmark = pytest.mark.django_db


def active() -> str:
    return ModelVersion.objects.get(role=ModelVersion.Role.IN_SERVICE).version


def test_a_version_is_named_by_its_content_and_stored_once(model_in_service, training_result):
    again = registry.model_version_create(
        pipeline=training_result.pipeline, metadata=training_result.metadata, trained_by="again"
    )
    assert again.pk == model_in_service.pk
    data = model_storage().open(model_in_service.artifact.name).read()
    assert hashlib.sha256(data).hexdigest() == model_in_service.sha256
    assert model_in_service.version == model_in_service.sha256[:12]
    assert model_in_service.artifact.name == f"model-{model_in_service.version}.joblib"
    assert (
        model_in_service.libraries["scikit-learn"] == artifacts.library_versions()["scikit-learn"]
    )


def test_activation_switches_and_is_recorded(model_in_service, other_version, staff_user):
    registry.model_version_activate(version=other_version.version, via="admin", by=staff_user)
    assert active() == other_version.version
    assert ModelVersion.objects.filter(role=ModelVersion.Role.IN_SERVICE).count() == 1
    change = ModelActivation.objects.latest()
    assert (change.action, change.version, change.previous) == (
        "activate",
        other_version,
        model_in_service,
    )
    assert (change.by, change.via) == (staff_user, "admin")


def test_rolling_back_returns_to_the_previous_version(model_in_service, other_version):
    registry.model_version_activate(version=other_version.version, via="tests")
    assert registry.model_version_rollback(via="tests").version == model_in_service.version
    assert active() == model_in_service.version
    assert ModelActivation.objects.latest().action == "rollback"


def test_the_first_version_has_nothing_to_roll_back_to(model_in_service):
    with pytest.raises(registry.RegistryError, match="no previous one"):
        registry.model_version_rollback(via="tests")
    assert active() == model_in_service.version


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"libraries": {"scikit-learn": "0.24.2", "numpy": "1.19.0"}}, "scikit-learn 0.24.2"),
        ({"metadata": {"format": 2}}, "older version of this project"),
        ({"metadata": {"format": artifacts.FORMAT, "recipe": 1}}, "features of recipe 1"),
    ],
    ids=["other libraries", "older design", "features of the recipe before scikit-image"],
)
def test_a_version_that_cannot_run_here_is_not_put_in_service(
    model_in_service, other_version, change, message
):
    ModelVersion.objects.filter(pk=other_version.pk).update(**change)
    with pytest.raises(registry.RegistryError, match=message):
        registry.model_version_activate(version=other_version.version, via="tests")
    assert active() == model_in_service.version


def test_an_unknown_version_is_refused(model_in_service):
    with pytest.raises(registry.RegistryError, match="list_models"):
        registry.model_version_activate(version="0123456789ab", via="tests")


def legacy_folder(tmp_path, training_result, *, active: bool = True, tamper: bool = False):
    """A model folder as written before the registry: artifact, JSON metadata, ACTIVE."""
    data = artifacts.serialize(training_result.pipeline)
    digest = hashlib.sha256(data).hexdigest()
    version = digest[:12]
    folder = tmp_path / "legacy"
    folder.mkdir()
    (folder / f"model-{version}.joblib").write_bytes(data + (b"x" if tamper else b""))
    metadata = {**training_result.metadata, "version": version, "sha256": digest}
    (folder / f"model-{version}.json").write_text(json.dumps(metadata))
    if active:
        (folder / "ACTIVE").write_text(f"{version}\n")
    return folder, version


def test_artifacts_from_before_the_registry_are_imported_and_served(
    no_model, tmp_path, training_result, client
):
    folder, version = legacy_folder(tmp_path, training_result)
    output = io.StringIO()
    call_command("import_models", str(folder), stdout=output)
    assert version in output.getvalue()
    assert active() == version
    assert client.get("/api/model/").json()["version"] == version
    call_command("import_models", str(folder), stdout=io.StringIO())  # again: nothing new
    assert ModelVersion.objects.count() == 1


def test_an_altered_legacy_artifact_is_not_imported(no_model, tmp_path, training_result):
    folder, _ = legacy_folder(tmp_path, training_result, tamper=True)
    call_command("import_models", str(folder), stdout=io.StringIO())
    assert ModelVersion.objects.count() == 0


def test_activate_model_command_and_its_rollback(model_in_service, other_version):
    output = io.StringIO()
    call_command("activate_model", other_version.version, stdout=output)
    assert f"Model {other_version.version} is now in service." in output.getvalue()
    call_command("activate_model", "--rollback", stdout=output)
    assert active() == model_in_service.version
    with pytest.raises(CommandError, match="no model version"):
        call_command("activate_model", "ffffffffffff", stdout=output)
