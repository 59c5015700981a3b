"""The work of the workers (`manage.py db_worker`), as tasks of Django's tasks framework:
running a job (training, rescoring, export), watching the jobs' leases, and the
periodic drift check.

A task carries the id of its Job row only; the row says what to do and
records how it went (`recognizer.jobs`).
"""

import datetime
import getpass
import logging

from django.conf import settings
from django.utils import timezone
from django_tasks import task
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from recognizer import drift, job_work, jobs
from recognizer.models import Job

logger = logging.getLogger(__name__)

RUNS = {
    Job.Kind.TRAIN: job_work.train,
    Job.Kind.RESCORE: job_work.rescore,
    Job.Kind.EXPORT: job_work.export,
}


@task()
def job_run(job_id: int) -> None:
    """Run a queued job to its end (unless it was cancelled or another run has it)."""
    jobs.jobs_reclaim()
    drift_watch_soon()
    job = jobs.job_start(job_id=job_id)
    if job is None:
        return
    logger.info("job %s (%s) started by %s", job.pk, job.kind, getpass.getuser())
    reporter = jobs.Reporter(job, shares=job_work.SHARES.get(job.kind))
    with jobs.job_running(job, reporter):
        reporter.result = RUNS[job.kind](job, reporter)
    logger.info("job %s ended", job.pk)


@task()
def leases_watch() -> None:
    """Take back the jobs whose worker was lost; watch again later while any job is
    unfinished (so that a lost job is noticed with no new job queued)."""
    jobs.jobs_reclaim()
    if Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).exists():
        leases_watch_later()


def leases_watch_soon() -> None:
    """Make sure a watch over the leases is queued (one is enough)."""
    if not waiting(leases_watch):
        leases_watch_later()


def leases_watch_later() -> None:
    """Queue a watch over the leases for when a lost worker's lease would have expired."""
    delay = datetime.timedelta(seconds=settings.JOB_LEASE_SECONDS * 1.1 + 1)
    leases_watch.using(run_after=timezone.now() + delay).enqueue()


@task()
def drift_watch() -> None:
    """Check drift if a check is due (one at a time across servers), then watch again
    when the next one is due: running `db_worker` is all a deployer does."""
    if settings.DRIFT_EVERY <= 0:
        return
    drift.drift_check_if_due()
    drift_watch_later(drift.drift_next_check_at())


def drift_watch_soon() -> None:
    """Make sure a drift watch is queued (one is enough); called after `migrate` and by
    every job, so that the chain of watches starts again if a worker lost one."""
    if settings.DRIFT_EVERY > 0 and not waiting(drift_watch):
        drift_watch_later(timezone.now())


def drift_watch_later(at: datetime.datetime) -> None:
    """Queue a drift watch for `at`."""
    drift_watch.using(run_after=at).enqueue()


def waiting(watch: object) -> bool:
    """Whether a task of this kind is queued and not yet taken by a worker."""
    return DBTaskResult.objects.filter(
        task_path=watch.module_path, status=TaskResultStatus.READY
    ).exists()


def task_result_abandon(task_id: str) -> None:
    """Mark the task of a run whose worker was lost as failed, so that the tasks' own
    table does not show it running for ever."""
    if task_id:
        DBTaskResult.objects.filter(id=task_id, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED,
            finished_at=timezone.now(),
            exception_class_path="recognizer.jobs.WorkerLost",
            traceback=jobs.WORKER_LOST,
        )
