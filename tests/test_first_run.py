"""`make run`'s first minutes: a quick model serves at once, and the full one trained
meanwhile takes over without a restart."""

import io
import shlex
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from recognizer.model_service import ModelService
from recognizer.models import ModelVersion

pytestmark = pytest.mark.django_db


def train(*args: str) -> str:
    output = io.StringIO()
    call_command("train_model", *args, stdout=output)
    return output.getvalue()


def active() -> ModelVersion:
    return ModelVersion.objects.get(role=ModelVersion.Role.IN_SERVICE)


def test_a_quick_model_serves_first_and_the_full_one_takes_over(no_model, settings, client):
    train("--if-missing", "--fast", "--skip-evaluation")
    quick = active()
    assert quick.metadata["fast"] is True
    service = ModelService(recheck_seconds=0)  # a server process, started once
    assert service.in_service().version == quick.version
    assert "A quick model" in client.get("/").content.decode()

    settings.TRAINING_AUGMENTATION_FACTOR = 0  # the full setting, made cheap for a test
    output = train("--if-fast", "--skip-evaluation")
    assert "put in service" in output
    full = active()
    assert full.version != quick.version and full.metadata["fast"] is False
    assert service.in_service().version == full.version  # the same process, no restart
    assert service.loads == 2
    assert "A quick model" not in client.get("/").content.decode()

    assert "not training" in train("--if-fast")
    assert active().version == full.version


def test_make_run_starts_the_background_training_as_written():
    """The shell line that `make run` leaves running really starts train_model."""
    project = Path(__file__).resolve().parent.parent
    dry_run = subprocess.run(
        ["make", "--dry-run", "--always-make", "--no-print-directory", "run"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(line for line in dry_run.stdout.splitlines() if "--if-fast" in line)
    command = [*shlex.split(line.partition(">")[0]), "--help"]  # the line, run in the foreground
    result = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "--if-fast" in result.stdout
