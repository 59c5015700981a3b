"""Helpers for the jobs' tests: labelled drawings, and real workers in other processes."""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from recognizer.models import Job, Prediction
from tests.support.canvases import ONE, SEVEN, THREE, ZERO, drawing_data_uri
from tests.support.processes import PROJECT, SERVER_SECRET_KEY, background
from tests.support.waiting import wait_for

STROKES = {0: ZERO, 1: ONE, 3: THREE, 7: SEVEN}


def labelled_drawings(labels: list[int]) -> list[Prediction]:
    """Drawings sent through the API (as the page does), labelled as given."""
    rows = []
    for index, label in enumerate(labels):
        strokes = STROKES[label] if label in STROKES else STROKES[list(STROKES)[index % 4]]
        answer = APIClient().post(
            "/api/predict/",
            {"image": drawing_data_uri(strokes, pen_width=12 + index % 9)},
            format="json",
        )
        assert answer.status_code == 201, answer.content
        Prediction.objects.filter(pk=answer.json()["id"]).update(label=label)
        rows.append(Prediction.objects.get(pk=answer.json()["id"]))
    return rows


def database_url() -> str:
    """The test database, as another process reaches it."""
    current = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{current['NAME']}"
    auth = current["USER"] + (f":{current['PASSWORD']}" if current["PASSWORD"] else "")
    return f"postgres://{auth}@{current['HOST']}:{current['PORT'] or 5432}/{current['NAME']}"


@contextmanager
def worker(log: Path, *, queues: str = "default,training", **environment: str) -> Iterator:
    """A real `manage.py db_worker` on the test database, with this test's folders;
    stopped (with its process group) on exit, also when the test fails."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "digitsite.settings",
        "DEBUG": "0",
        "SECRET_KEY": SERVER_SECRET_KEY,
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "MODEL_DIR": str(settings.STORAGES["models"]["OPTIONS"]["location"]),
        "TRAINING_JOBS": "1",
        "LOG_LEVEL": "INFO",
        **environment,
    }
    command = [
        sys.executable,
        "manage.py",
        "db_worker",
        "--queue-name",
        queues,
        "--no-reload",
        "--no-startup-delay",
        "--interval",
        "0.2",
    ]
    with background(command, log, env=env, cwd=PROJECT) as process:
        yield process


def job_reaching(
    job_id: int, statuses: set[str], *, seconds: float = 120, log: Path | None = None
) -> Job:
    """Return a job once it has one of these statuses; fail with its log and the
    worker's if it has none after `seconds`."""

    def reached() -> Job | None:
        job = Job.objects.get(pk=job_id)
        return job if job.status in statuses else None

    try:
        return wait_for(reached, seconds=seconds, every=0.2)
    except AssertionError:
        job = Job.objects.get(pk=job_id)
        worker_log = log.read_text() if log and log.exists() else ""
        raise AssertionError(
            f"job {job_id} still {job.status} ({job.stage}):\n{job.log}\n{worker_log}"
        ) from None
