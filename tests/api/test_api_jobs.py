"""/api/jobs/: queueing, listing, following and cancelling jobs, and refusing bad ones.

No worker runs here (tests/test_jobs_workers.py starts real ones): these check
what the API answers and what it queues.
"""

import base64

import pytest
from django_tasks_db.models import DBTaskResult
from rest_framework.test import APIClient

from recognizer.jobs import runner
from recognizer.jobs import services as jobs
from recognizer.models import Job
from tests.support.answers import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(staff_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff_user)
    return client


def queue(api: APIClient, body: dict, capture) -> dict:
    with capture(execute=True):
        response = api.post("/api/jobs/", body, format="json")
    assert response.status_code == 202, response.content
    assert response["Location"] == f"/api/jobs/{response.json()['id']}/"
    return response.json()


def test_a_training_is_queued_on_the_training_queue_once_committed(
    api, django_capture_on_commit_callbacks
):
    job = queue(
        api,
        {"kind": "train", "datasets": ["digits", "history"], "grid": 8},
        django_capture_on_commit_callbacks,
    )
    assert job["status"] == "queued"
    assert job["parameters"]["datasets"] == ["digits", "history"]
    assert job["parameters"]["then"] == "challenge"
    task = DBTaskResult.objects.get(id=Job.objects.get(pk=job["id"]).task_id)
    assert task.queue_name == "training"
    assert task.args_kwargs["args"] == [job["id"]]
    assert api.get(f"/api/jobs/{job['id']}/").json()["stage"] == "waiting for a worker"


def test_nothing_is_queued_before_the_commit(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api.post("/api/jobs/", {"kind": "train"}, format="json")
    assert response.status_code == 202
    assert not DBTaskResult.objects.filter(task_path="recognizer.jobs.runner.job_run").exists()
    assert callbacks


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "train", "datasets": ["digits", "mnist"]}, "datasets"),
        ({"kind": "train", "datasets": ["folder:/etc"]}, "datasets"),
        ({"kind": "train", "grid": 64}, "grid"),
        ({"kind": "train", "grid": "8"}, "grid"),
        ({"kind": "train", "evaluate": 0}, "evaluate"),
        ({"kind": "train", "datasets": [7]}, "datasets.0"),
        ({"kind": "train", "held_out": 1.5}, "held_out"),
        ({"kind": "train", "grd": 8}, "grd"),
        ({"kind": "rescore"}, "versions"),
        ({"kind": "rescore", "versions": ["nosuchversion"]}, "versions"),
        ({"kind": "export", "filters": {"digit": 12}}, "filters.digit"),
        ({"kind": "export", "filters": {"colour": "red"}}, "filters.colour"),
        ({"kind": "export", "versions": ["x"]}, "versions"),
        ({"kind": "sing"}, "kind"),
        ({}, "kind"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_field_and_nothing_is_queued(api, body, field):
    response = api.post("/api/jobs/", body, format="json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"{field}:"), response.json()
    assert not Job.objects.exists()


def test_list_newest_first_with_filters_and_cursor_pages(api, django_capture_on_commit_callbacks):
    ids = [queue(api, {"kind": "train", "fast": True}, django_capture_on_commit_callbacks)["id"]]
    ids.append(
        queue(api, {"kind": "export", "filters": {"label": 3}}, django_capture_on_commit_callbacks)[
            "id"
        ]
    )
    ids.append(queue(api, {"kind": "train"}, django_capture_on_commit_callbacks)["id"])
    jobs.job_cancel(job_id=ids[0])
    first = api.get("/api/jobs/?page_size=2").json()
    assert [job["id"] for job in first["results"]] == ids[:0:-1]
    second = api.get(first["next"]).json()
    assert [job["id"] for job in second["results"]] == [ids[0]]
    trainings = api.get("/api/jobs/?kind=train").json()["results"]
    assert [job["id"] for job in trainings] == [ids[2], ids[0]]
    cancelled = api.get("/api/jobs/?status=cancelled").json()["results"]
    assert [job["id"] for job in cancelled] == [ids[0]]
    assert_error(api.get("/api/jobs/?status=lost"), 400, "invalid_choice")


def test_a_queued_job_is_cancelled_at_once_and_an_ended_one_cannot_be(api, staff_user):
    job = runner.job_create(kind=Job.Kind.TRAIN, parameters={}, via="tests")
    response = api.post(f"/api/jobs/{job.pk}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["finished_at"]
    assert_error(api.post(f"/api/jobs/{job.pk}/cancel/"), 409, "job_ended")
    assert_error(api.post("/api/jobs/999999/cancel/"), 404, "not_found")


def test_a_running_job_is_asked_to_stop(api):
    job = runner.job_create(kind=Job.Kind.TRAIN, parameters={}, via="tests")
    jobs.job_start(job_id=job.pk)
    response = api.post(f"/api/jobs/{job.pk}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "running"
    assert "asked to cancel" in response.json()["log"][-1]
    assert Job.objects.get(pk=job.pk).cancel_requested


def test_jobs_are_for_staff_only(client, django_user_model):
    assert_error(client.get("/api/jobs/"), 401, "not_authenticated")
    django_user_model.objects.create_user("drawer", password="a-long-test-password")
    credentials = base64.b64encode(b"drawer:a-long-test-password").decode()
    response = client.post(
        "/api/jobs/",
        {"kind": "train"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )
    assert_error(response, 403, "permission_denied")
    assert not Job.objects.exists()


def test_the_schema_documents_the_jobs_with_examples(client):
    schema = client.get("/api/schema/?format=json").json()
    create = schema["paths"]["/api/jobs/"]["post"]
    assert "202" in create["responses"]
    examples = create["requestBody"]["content"]["application/json"]["examples"]
    assert any(example["value"].get("kind") == "train" for example in examples.values())
    assert "/api/jobs/{id}/cancel/" in schema["paths"]
