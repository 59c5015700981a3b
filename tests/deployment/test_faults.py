"""Faults lose nothing and never crash: missing or damaged models, storage, database."""

import io
import os
import time
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import OperationalError
from rest_framework.test import APIClient

from recognizer.models import ModelVersion, Prediction
from recognizer.registry import services as registry
from recognizer.registry import serving
from recognizer.storage import drawing_storage, model_storage
from tests.support.canvases import one_data_uri

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_service(monkeypatch) -> None:
    """A process that has loaded no model yet (one that has keeps it in memory)."""
    monkeypatch.setattr(serving, "_served", None)


def predict() -> tuple[int, dict]:
    response = APIClient().post("/api/predict/", {"image": one_data_uri()}, format="json")
    return response.status_code, response.json()


def stored_files() -> list[Path]:
    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


class TestModelFaults:
    def test_no_model_then_one_appears(self, model_in_service, fresh_service, caplog):
        ModelVersion.objects.update(role="")
        status, body = predict()
        assert (status, body["code"]) == (503, "model_not_ready")
        assert "manage.py train_model" in body["detail"]
        assert Prediction.objects.count() == 0

        registry.model_version_activate(version=model_in_service.version, via="tests")
        status, body = predict()
        assert status == 201
        assert body["model_version"] == model_in_service.version

    def test_a_corrupt_artifact_is_503_until_repaired(
        self, model_in_service, fresh_service, caplog
    ):
        name = model_in_service.artifact.name
        good = model_storage().open(name).read()
        model_storage().delete(name)
        model_storage().save(name, ContentFile(good[: len(good) // 2]))
        status, body = predict()
        assert (status, body["code"]) == (503, "model_not_ready")
        assert "SHA-256" in body["detail"]
        assert "unavailable" in caplog.text
        assert APIClient().get("/readyz").status_code == 503

        model_storage().delete(name)
        model_storage().save(name, ContentFile(good))
        assert predict()[0] == 201
        assert APIClient().get("/readyz").status_code == 200

    def test_a_model_trained_with_other_libraries_is_503_and_says_so(
        self, model_in_service, fresh_service
    ):
        libraries = {**model_in_service.libraries, "numpy": "1.0.0"}
        ModelVersion.objects.filter(pk=model_in_service.pk).update(libraries=libraries)
        with mock.patch("recognizer.ml.artifacts.joblib.load") as unpickle:
            status, body = predict()
        assert status == 503
        assert "numpy 1.0.0" in body["detail"]
        unpickle.assert_not_called()


class TestStorageFaults:
    def test_a_media_folder_that_cannot_be_written_is_503_with_no_row(self, settings, tmp_path):
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("a file where the media folder should be")
        settings.MEDIA_ROOT = str(blocker / "media")
        status, body = predict()
        assert (status, body["code"]) == (503, "storage_unavailable")
        assert Prediction.objects.count() == 0

    def test_a_database_failure_after_the_file_is_written_removes_the_file(self):
        with mock.patch.object(
            Prediction, "save", side_effect=OperationalError("database is locked")
        ):
            status, body = predict()
        assert (status, body["code"]) == (503, "database_unavailable")
        assert stored_files() == []
        assert Prediction.objects.count() == 0


class TestDatabaseFaults:
    def test_the_page_answers_503_when_the_database_is_down(self, client):
        with mock.patch(
            "django.contrib.sessions.backends.db.SessionStore.create",
            side_effect=OperationalError("could not connect to server"),
        ):
            response = client.get("/")
        assert response.status_code == 503
        assert response["Retry-After"] == "5"
        assert b"database is unavailable" in response.content


def check_history(*args: str) -> str:
    out = io.StringIO()
    call_command("check_history", *args, stdout=out)
    return out.getvalue()


class TestCheckHistory:
    def test_a_consistent_history(self):
        assert predict()[0] == 201
        assert "The history is consistent." in check_history()

    def test_orphans_are_reported_then_repaired(self):
        _, kept = predict()
        _, lost = predict()
        lost_row = Prediction.objects.get(pk=lost["id"])
        drawing_storage().delete(lost_row.drawing.name)
        orphan = drawing_storage().save("drawings/2020/01/01/orphan.png", ContentFile(b"png"))
        old = time.time() - 3600
        os.utime(drawing_storage().path(orphan), (old, old))

        report = io.StringIO()
        with pytest.raises(CommandError, match="--repair"):
            call_command("check_history", stdout=report)
        assert "Rows without their drawing file: 1" in report.getvalue()
        assert f"prediction {lost['id']}" in report.getvalue()
        assert "Drawing files without a row: 1" in report.getvalue()
        assert f"  {orphan}" in report.getvalue()
        assert Prediction.objects.count() == 2  # nothing changed without --repair

        assert "Deleted 1 rows and 1 files." in check_history("--repair")
        assert list(Prediction.objects.values_list("id", flat=True)) == [kept["id"]]
        assert not drawing_storage().exists(orphan)
        assert "The history is consistent." in check_history()

    def test_a_young_file_may_still_get_its_row_and_is_left_alone(self):
        young = drawing_storage().save("drawings/2030/01/01/in-flight.png", ContentFile(b"png"))
        with pytest.raises(CommandError, match="younger than the grace period"):
            check_history("--repair")
        assert drawing_storage().exists(young)
