"""Jobs run by real workers (`manage.py db_worker` in processes of their own, on the test
database): training from the API and the admin, failures, cancel, exports, a worker
killed mid-job, and two workers sharing ten jobs on PostgreSQL."""

import os
import signal
import time
import zipfile

import pytest
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from rest_framework.test import APIClient

from recognizer.models import Job, ModelVersion
from recognizer.storage import drawing_storage
from tests.support.workers import job_reaching, labelled_drawings, worker

pytestmark = pytest.mark.django_db(transaction=True)

ENDED = {Job.Status.SUCCEEDED, Job.Status.FAILED, Job.Status.CANCELLED}
QUICK_TRAINING = {"kind": "train", "datasets": ["digits", "history"], "fast": True}


@pytest.fixture
def admin_api(staff_user) -> APIClient:
    """The API as a superuser: may queue every kind of job."""
    staff_user.is_superuser = True
    staff_user.save()
    client = APIClient()
    client.force_authenticate(staff_user)
    return client


def queue(admin_api: APIClient, body: dict) -> int:
    extra = {"evaluate": False} if body["kind"] == "train" else {}
    response = admin_api.post("/api/jobs/", {**extra, **body}, format="json")
    assert response.status_code == 202, response.content
    return response.json()["id"]


def roles() -> dict[str, str]:
    return {row.role: row.version for row in ModelVersion.objects.exclude(role="")}


def test_trainings_from_the_api_and_the_admin_make_challengers(
    admin_api, admin_client, model_in_service, tmp_path
):
    labelled_drawings([0, 1, 3, 7] * 3)
    log = tmp_path / "worker.log"
    with worker(log):
        from_api = queue(admin_api, {**QUICK_TRAINING, "grid": 9})
        job = job_reaching(from_api, ENDED, log=log)
        assert job.status == Job.Status.SUCCEEDED, job.log
        assert job.progress == 1.0
        detail = admin_api.get(f"/api/jobs/{from_api}/").json()
        assert detail["result"]["model_version"] == roles()["challenger"]
        assert roles()["active"] == model_in_service.version  # never served before a promotion

        admin_client.post(
            "/admin/recognizer/modelversion/train/",
            {"datasets": ["digits", "history"], "grid": "10", "held_out": "0.1", "fast": "on"},
        )
        from_admin = Job.objects.exclude(pk=from_api).get().pk
        job = job_reaching(from_admin, ENDED, log=log)
        assert job.status == Job.Status.SUCCEEDED, job.log
        assert (
            job.result["model_version"]
            == roles()["challenger"]
            != detail["result"]["model_version"]
        )
        assert roles()["active"] == model_in_service.version
        page = admin_client.get(f"/admin/recognizer/job/{from_admin}/change/")
        assert job.result["model_version"].encode() in page.content
        assert b"compared with the one in service" in page.content


def test_a_failing_job_says_why_leaves_the_models_alone_and_the_worker_goes_on(
    admin_api, model_in_service, other_version, tmp_path
):
    before = roles()
    log = tmp_path / "worker.log"
    with worker(log):
        failing = queue(admin_api, {"kind": "train", "datasets": ["history"], "fast": True})
        rescoring = queue(admin_api, {"kind": "rescore", "versions": [other_version.version]})
        job = job_reaching(failing, ENDED, log=log)
        assert job.status == Job.Status.FAILED
        assert job.error.startswith("There are no labelled drawings to learn from")
        assert admin_api.get(f"/api/jobs/{failing}/").json()["error"] == job.error
        assert job_reaching(rescoring, ENDED, log=log).status == Job.Status.SUCCEEDED
    assert roles() == before


def test_an_export_is_written_through_storage_and_downloaded_by_staff(admin_api, client, tmp_path):
    drawings = labelled_drawings([3, 7, 7])
    log = tmp_path / "worker.log"
    with worker(log):
        exported = queue(admin_api, {"kind": "export", "filters": {"label": 7}})
        job = job_reaching(exported, ENDED, log=log)
    assert job.status == Job.Status.SUCCEEDED, job.log
    assert job.result["drawings"] == 2
    assert drawing_storage().exists(job.result["file"])
    detail = admin_api.get(f"/api/jobs/{exported}/").json()
    response = admin_api.get(detail["result"]["download_url"])
    assert response.status_code == 200
    archive = tmp_path / "export.zip"
    archive.write_bytes(b"".join(response.streaming_content))
    names = set(zipfile.ZipFile(archive).namelist())
    assert names == {"manifest.csv", *(f"7/{row.pk}.png" for row in drawings[1:])}
    assert client.get(f"/api/jobs/{exported}/file/").status_code == 401


def test_a_running_job_cancelled_stops_at_its_next_step(admin_api, model_in_service, tmp_path):
    log = tmp_path / "worker.log"
    with worker(log):
        # The full setting: minutes of work, reporting progress all along.
        job_id = queue(admin_api, {"kind": "train", "datasets": ["digits"], "grid": 9})
        running = job_reaching(job_id, {Job.Status.RUNNING, *ENDED}, log=log)
        assert running.status == Job.Status.RUNNING
        assert admin_api.post(f"/api/jobs/{job_id}/cancel/").status_code == 200
        job = job_reaching(job_id, ENDED, seconds=60, log=log)
    assert job.status == Job.Status.CANCELLED
    assert job.stage == "cancelled as asked"
    assert "cancelled at:" in job.log
    assert ModelVersion.objects.count() == 1  # nothing registered


def wait_running(job_id: int, attempt: int, log) -> Job:
    """Wait until a run (this attempt) has started the job."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = Job.objects.get(pk=job_id)
        if job.status == Job.Status.RUNNING and job.attempts == attempt:
            return job
        assert job.status not in ENDED, job.log
        time.sleep(0.05)
    raise AssertionError(log.read_text())


def kill(process) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def test_a_worker_killed_mid_job_is_replaced_and_the_job_never_stays_running(
    admin_api, settings, model_in_service, tmp_path
):
    settings.JOB_LEASE_SECONDS = 2
    lease = {"JOB_LEASE_SECONDS": "2"}
    first = queue(admin_api, {"kind": "train", "datasets": ["digits"], "grid": 9, "fast": True})
    with worker(tmp_path / "a.log", **lease) as process:
        wait_running(first, 1, tmp_path / "a.log")
        kill(process)
    assert Job.objects.get(pk=first).status == Job.Status.RUNNING  # until its lease expires
    with worker(tmp_path / "b.log", **lease):
        job = job_reaching(first, ENDED, log=tmp_path / "b.log")
    assert job.status == Job.Status.SUCCEEDED, job.log
    assert job.attempts == 2
    assert "the worker was lost" in job.log and "queued again" in job.log
    assert roles()["challenger"] == job.result["model_version"]
    abandoned = DBTaskResult.objects.filter(task_path="recognizer.jobs.runner.job_run")
    assert not abandoned.filter(status=TaskResultStatus.RUNNING).exists()

    second = queue(admin_api, {"kind": "train", "datasets": ["digits"], "grid": 10, "fast": True})
    for attempt, name in [(1, "c"), (2, "d")]:
        with worker(tmp_path / f"{name}.log", **lease) as process:
            wait_running(second, attempt, tmp_path / f"{name}.log")
            kill(process)
    with worker(tmp_path / "e.log", **lease):
        job = job_reaching(second, ENDED, log=tmp_path / "e.log")
    assert job.status == Job.Status.FAILED
    assert job.error == "the worker was lost"
    assert roles()["challenger"] == Job.objects.get(pk=first).result["model_version"]


def test_a_worker_stopped_mid_job_puts_it_back_in_the_queue(admin_api, model_in_service, tmp_path):
    """Ctrl-C on `make run` (SIGINT to the worker, then the Makefile's SIGTERM)."""
    job_id = queue(admin_api, {"kind": "train", "datasets": ["digits"], "grid": 9, "fast": True})
    with worker(tmp_path / "a.log") as process:
        wait_running(job_id, 1, tmp_path / "a.log")
        os.killpg(process.pid, signal.SIGINT)
        time.sleep(0.5)
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
    job = Job.objects.get(pk=job_id)
    assert (job.status, job.attempts) == (Job.Status.QUEUED, 0)
    assert job.stage == "queued again: its worker was stopped"
    with worker(tmp_path / "b.log"):
        job = job_reaching(job_id, ENDED, log=tmp_path / "b.log")
    assert (job.status, job.attempts) == (Job.Status.SUCCEEDED, 1)


def test_two_workers_share_ten_jobs_each_run_once(admin_api, model_in_service, tmp_path, settings):
    if not settings.DATABASES["default"]["ENGINE"].endswith(".postgresql"):
        pytest.skip("workers claim jobs with SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL")
    labelled_drawings([3, 7])
    with worker(tmp_path / "one.log"), worker(tmp_path / "two.log"):
        ids = [queue(admin_api, {"kind": "export", "filters": {"label": 7}}) for _ in range(10)]
        ended = [job_reaching(job_id, ENDED, log=tmp_path / "one.log") for job_id in ids]
    assert all(job.status == Job.Status.SUCCEEDED and job.attempts == 1 for job in ended)
    assert all(job.log.count("run 1 started") == 1 for job in ended)
    runs = DBTaskResult.objects.filter(task_path="recognizer.jobs.runner.job_run")
    assert runs.count() == 10
    assert all(len(run.worker_ids) == 1 for run in runs)
