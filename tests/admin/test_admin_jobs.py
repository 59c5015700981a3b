"""Jobs from the admin: the Jobs page, "Train a challenger", rescoring and exporting.

No worker runs here (tests/test_jobs_workers.py starts real ones): these check
what the pages show and what they queue.
"""

import pytest
from django_tasks_db.models import DBTaskResult

from recognizer.jobs import runner
from recognizer.jobs import services as jobs
from recognizer.models import Job, Prediction
from tests.support.workers import labelled_drawings

pytestmark = pytest.mark.django_db


def test_train_a_challenger_is_linked_from_model_versions_and_queues_a_training(
    admin_client, django_capture_on_commit_callbacks
):
    listing = admin_client.get("/admin/recognizer/modelversion/")
    assert b'id="train-challenger"' in listing.content
    form = admin_client.get("/admin/recognizer/modelversion/train/")
    assert form.status_code == 200
    assert b"load_digits" in form.content and b"labelled drawings" in form.content
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/recognizer/modelversion/train/",
            {"datasets": ["digits", "history"], "grid": "10", "held_out": "0.1"},
        )
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/recognizer/job/{job.pk}/change/"
    assert job.kind == Job.Kind.TRAIN
    assert job.parameters["datasets"] == ["digits", "history"]
    assert job.parameters["grid"] == 10
    assert job.parameters["then"] == "challenge"
    assert job.requested_by.is_superuser
    assert DBTaskResult.objects.get(id=job.task_id).queue_name == "training"


def test_the_training_form_refuses_an_unknown_data_set(admin_client):
    response = admin_client.post(
        "/admin/recognizer/modelversion/train/",
        {"datasets": ["folder:/etc"], "grid": "8", "held_out": "0.1"},
    )
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert not Job.objects.exists()


def test_a_reviewer_without_the_right_cannot_start_jobs(staff_client):
    response = staff_client.post(
        "/admin/recognizer/modelversion/train/", {"datasets": ["digits"], "grid": "8"}
    )
    assert response.status_code == 302
    assert not Job.objects.exists()


def test_rescore_action_queues_the_selected_versions(admin_client, model_in_service, other_version):
    response = admin_client.post(
        "/admin/recognizer/modelversion/",
        {
            "action": "rescore",
            "_selected_action": [model_in_service.pk, other_version.pk],
        },
        follow=True,
    )
    job = Job.objects.get()
    assert job.kind == Job.Kind.RESCORE
    assert set(job.parameters["versions"]) == {model_in_service.version, other_version.version}
    assert f"job {job.pk}".encode() in response.content


def test_export_action_queues_the_labelled_drawings_selected(admin_client):
    labelled = labelled_drawings([3, 5])
    Prediction.objects.filter(pk=labelled[1].pk).update(label=None)
    response = admin_client.post(
        "/admin/recognizer/prediction/",
        {"action": "export_data_set", "_selected_action": [p.pk for p in labelled]},
        follow=True,
    )
    job = Job.objects.get()
    assert job.kind == Job.Kind.EXPORT
    assert job.parameters == {"ids": [labelled[0].pk]}
    assert b"Export of 1 labelled drawings" in response.content


def test_the_jobs_page_shows_progress_and_refreshes_while_a_job_runs(admin_client):
    job = runner.job_create(kind=Job.Kind.TRAIN, parameters={"datasets": ["digits"]}, via="tests")
    jobs.job_start(job_id=job.pk)
    Job.objects.filter(pk=job.pk).update(progress=0.42, stage="preprocessing digits 5 of 12")
    page = admin_client.get("/admin/recognizer/job/")
    assert b'<progress value="0.420" max="1">' in page.content
    assert b"preprocessing digits 5 of 12" in page.content
    assert b'id="job-refresh"' in page.content
    assert b"recognizer/js/jobs.js" in page.content
    detail = admin_client.get(f"/admin/recognizer/job/{job.pk}/change/")
    assert b'id="cancel-job"' in detail.content
    admin_client.post(f"/admin/recognizer/job/{job.pk}/cancel/")
    assert Job.objects.get(pk=job.pk).cancel_requested


def test_the_jobs_page_stops_refreshing_once_every_job_ended(admin_client):
    job = runner.job_create(kind=Job.Kind.TRAIN, parameters={}, via="tests")
    jobs.job_cancel(job_id=job.pk)
    page = admin_client.get("/admin/recognizer/job/?status__exact=cancelled")
    assert b'id="job-refresh"' not in page.content
    assert b"cancelled" in page.content
    detail = admin_client.get(f"/admin/recognizer/job/{job.pk}/change/")
    assert b'id="cancel-job"' not in detail.content


@pytest.mark.parametrize(
    "result",
    [{}, {"model_version": "abcdefabcdef"}, {"file": "exports/gone.zip", "drawings": 3}],
)
def test_the_file_of_a_job_without_one_is_a_404_page(admin_client, result):
    """A training wrote no file; an export's archive may have been deleted since."""
    job = Job.objects.create(
        kind=Job.Kind.EXPORT, status=Job.Status.SUCCEEDED, requested_via="tests", result=result
    )
    response = admin_client.get(f"/admin/recognizer/job/{job.pk}/file/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
