"""The one module that talks to the task backend (Django's tasks framework, run by
`manage.py db_worker`): queueing jobs and carrying them out, taking back the jobs of
lost workers, and the periodic drift check.

A task carries the id of its Job row only; the row says what to do and records
how it went (`recognizer.jobs.services`). A job's task is queued once its row
is committed, so that no worker looks for a job that does not exist yet. While
a job runs, a thread of its worker beats its heartbeat; a running job whose
heartbeat is older than JOB_LEASE_SECONDS lost its worker (killed, machine
gone) and is queued again once, then failed.
"""

import datetime
import getpass
import logging

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from recognizer.jobs import services
from recognizer.jobs.kinds import KINDS
from recognizer.jobs.progress import Reporter, job_running
from recognizer.models import Job
from recognizer.monitoring import drift

logger = logging.getLogger(__name__)

TRAINING_QUEUE = "training"
# Each kind's queue: trainings have their own, so that a worker may be kept for them.
QUEUES = {Job.Kind.TRAIN: TRAINING_QUEUE, Job.Kind.RESCORE: "default", Job.Kind.EXPORT: "default"}


class WorkerLost(Exception):
    """The worker running a task was lost (killed, machine gone) before it ended."""


def job_create(
    *,
    kind: str,
    parameters: dict,
    via: str,
    requested_by: AbstractBaseUser | None = None,
) -> Job:
    """Record a job and queue it for a worker once the record is committed; return it."""
    jobs_reclaim()
    with transaction.atomic():
        job = services.job_record(
            kind=kind, parameters=parameters, via=via, requested_by=requested_by
        )
        transaction.on_commit(lambda: job_enqueue(job=job))
    return job


def job_enqueue(*, job: Job) -> None:
    """Queue the task that runs a job, on its kind's queue, and the watch over leases."""
    queued = job_run.using(queue_name=QUEUES[job.kind]).enqueue(job.pk)
    Job.objects.filter(pk=job.pk).update(task_id=str(queued.id))
    leases_watch_soon()


def jobs_reclaim() -> list[Job]:
    """Take back the running jobs whose worker was lost: queue each again if it has had
    one run only, else fail it ("the worker was lost"). Return the jobs taken back."""
    with transaction.atomic():
        stale = services.jobs_stale()
        for job in stale:
            task_result_abandon(job.task_id)
            if services.job_take_back(job=job):
                transaction.on_commit(lambda job=job: job_enqueue(job=job))
    return stale


@task()
def job_run(job_id: int) -> None:
    """Run a queued job to its end (unless it was cancelled or another run has it)."""
    jobs_reclaim()
    drift_watch_soon()
    job = services.job_start(job_id=job_id)
    if job is None:
        return
    logger.info("job %s (%s) started by %s", job.pk, job.kind, getpass.getuser())
    reporter = Reporter(job)
    try:
        with job_running(job, reporter):
            reporter.result = KINDS[job.kind](job, reporter)
    except (KeyboardInterrupt, SystemExit):
        # The next worker runs it from the start; the stop is not a lost run.
        if services.job_requeue_stopped(job=job):
            job_enqueue(job=job)
        raise
    logger.info("job %s ended", job.pk)


@task()
def leases_watch() -> None:
    """Take back the jobs whose worker was lost; watch again later while any job is
    unfinished (so that a lost job is noticed with no new job queued)."""
    jobs_reclaim()
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
            exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
            traceback=services.WORKER_LOST,
        )
