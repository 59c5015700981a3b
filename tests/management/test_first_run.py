"""`make run`'s first minutes: a quick model serves at once, and the full one trained
meanwhile takes over without a restart."""

import shlex
import subprocess

import pytest

from recognizer.jobs import runner
from recognizer.models import Job, ModelVersion
from recognizer.registry.serving import ServedModels
from tests.support.commands import command
from tests.support.processes import PROJECT

# Its subject does not depend on the database: not run again on PostgreSQL.
pytestmark = [pytest.mark.django_db, pytest.mark.one_pass]


def active() -> ModelVersion:
    return ModelVersion.objects.get(role=ModelVersion.Role.IN_SERVICE)


def test_a_quick_model_serves_first_and_the_full_one_takes_over(
    no_model, cheap_full_training, client
):
    command("train_model", "--if-missing", "--fast", "--skip-evaluation")
    quick = active()
    assert quick.metadata["fast"] is True
    service = ServedModels(recheck_seconds=0)  # a server process, started once
    assert service.in_service().version == quick.version
    assert "A quick model" in client.get("/").content.decode()

    output = command("train_model", "--if-fast", "--skip-evaluation")
    assert "put in service" in output
    full = active()
    assert full.version != quick.version and full.metadata["fast"] is False
    assert service.in_service().version == full.version  # the same process, no restart
    assert service.loads == 2
    assert "A quick model" not in client.get("/").content.decode()

    assert "not training" in command("train_model", "--if-fast")
    assert active().version == full.version


def test_the_full_model_is_queued_once_as_a_job_and_takes_over_when_run(
    no_model, cheap_full_training
):
    command("train_model", "--if-missing", "--fast", "--skip-evaluation")
    quick = active()
    assert "Training queued as job" in command(
        "train_model", "--if-fast", "--in-background", "--skip-evaluation"
    )
    assert "already queued" in command(
        "train_model", "--if-fast", "--in-background", "--skip-evaluation"
    )
    job = Job.objects.get()
    assert job.kind == Job.Kind.TRAIN and job.parameters["if_fast"] is True

    runner.job_run.call(job.pk)  # as a worker runs it
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.log
    full = active()
    assert full.version == job.result["model_version"] != quick.version
    assert full.metadata["fast"] is False
    assert "Training queued" not in command("train_model", "--if-fast", "--in-background")


def test_make_run_starts_the_worker_as_written():
    """The shell line that `make run` leaves running really starts a worker on both queues."""
    project = PROJECT
    dry_run = subprocess.run(
        ["make", "--dry-run", "--always-make", "--no-print-directory", "run"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(line for line in dry_run.stdout.splitlines() if "db_worker" in line)
    command = shlex.split(line.partition(">")[0])
    assert command[:3] == ["nice", "-n", "15"]
    assert "default,training" in command
    result = subprocess.run(
        [*command, "--help"], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "--queue-name" in result.stdout
