"""Changes of Job rows: starting a run, cancelling, taking a job back from a lost worker,
recording how a run ended. Nothing here queues anything: `recognizer.jobs.runner` does.

Each run knows its attempt: a run whose job was taken back stops at its next
step, so two workers never carry on the same job.
"""

import datetime
import logging

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from recognizer.models import FINISHED, Job, LabelCount

logger = logging.getLogger(__name__)

WORKER_LOST = "the worker was lost"
LOG_LINES = 40
MAX_ATTEMPTS = 2  # the first run, and one more after a worker was lost


class JobError(Exception):
    """A change of a job that cannot be made (cancelling one that ended); says why."""


class JobCancelled(Exception):
    """Someone cancelled the running job: it stops at this step."""


class JobTakenBack(Exception):
    """This run's job was taken back after its lease expired: another run has it."""


def job_record(
    *,
    kind: str,
    parameters: dict,
    via: str,
    requested_by: AbstractBaseUser | None = None,
) -> Job:
    """Record a job asked for, waiting for a worker; return it (queued by the caller)."""
    job = Job.objects.create(
        kind=kind,
        parameters=parameters,
        requested_via=via,
        requested_by=requested_by if requested_by and requested_by.pk else None,
        stage="waiting for a worker",
    )
    if kind == Job.Kind.TRAIN:  # labels count towards the next training from now
        LabelCount.objects.filter(name=LabelCount.RETRAINING).update(labels=0)
    return job


def job_cancel(*, job_id: int, by: AbstractBaseUser | None = None) -> Job:
    """Cancel a queued job at once, or ask a running one to stop at its next step;
    return it. Refused (JobError) for a job that has ended."""
    who = getattr(by, "username", "") or "someone"
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            raise JobError(f"There is no job {job_id}.")
        if job.status in FINISHED:
            raise JobError(f"Job {job_id} has ended ({job.get_status_display()}).")
        if job.status == Job.Status.QUEUED:
            job.status, job.finished_at = Job.Status.CANCELLED, timezone.now()
            job.stage = f"cancelled by {who} before it started"
        else:
            job.cancel_requested = True
            job.log = log_append(job.log, [f"{who} asked to cancel; stopping at the next step"])
        job.save(update_fields=["status", "finished_at", "stage", "cancel_requested", "log"])
    return job


def jobs_stale() -> list[Job]:
    """Return the running jobs whose heartbeat is older than JOB_LEASE_SECONDS, locked
    for the rest of the transaction (those another process is taking back are skipped)."""
    stale_before = timezone.now() - datetime.timedelta(seconds=settings.JOB_LEASE_SECONDS)
    return list(
        Job.objects.select_for_update(skip_locked=True).filter(
            status=Job.Status.RUNNING, heartbeat_at__lt=stale_before
        )
    )


def job_take_back(*, job: Job) -> bool:
    """Record that a job's worker was lost: queued again if it has had one run only,
    else failed. Return whether it is to be queued again."""
    lost = f"{WORKER_LOST} (no heartbeat since {job.heartbeat_at:%H:%M:%S})"
    again = job.attempts < MAX_ATTEMPTS
    if again:
        job.status, job.stage = Job.Status.QUEUED, f"queued again: {WORKER_LOST}"
        job.log = log_append(job.log, [f"{lost}; queued again"])
    else:
        job.status, job.finished_at, job.error = Job.Status.FAILED, timezone.now(), WORKER_LOST
        job.stage = f"failed: {WORKER_LOST}"
        job.log = log_append(job.log, [f"{lost}; not tried again"])
    job.save(update_fields=["status", "finished_at", "error", "stage", "log"])
    logger.warning("job %s: %s", job.pk, lost)
    return again


def job_start(*, job_id: int) -> Job | None:
    """Mark a queued job running as this run's attempt; return it, or None if it is
    not queued (cancelled meanwhile, or already taken by another run)."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != Job.Status.QUEUED:
            return None
        now = timezone.now()
        job.status, job.heartbeat_at, job.attempts = Job.Status.RUNNING, now, job.attempts + 1
        job.started_at = job.started_at or now
        job.stage = "starting"
        job.log = log_append(job.log, [f"run {job.attempts} started"])
        job.save(update_fields=["status", "heartbeat_at", "attempts", "started_at", "stage", "log"])
    return job


def log_append(log: str, lines: list[str]) -> str:
    """Return a job's log with these lines added, keeping the last LOG_LINES."""
    stamp = timezone.now().strftime("%H:%M:%S")
    kept = [*log.splitlines(), *(f"{stamp} {line}" for line in lines)]
    return "\n".join(kept[-LOG_LINES:])


def job_requeue_stopped(*, job: Job) -> bool:
    """Record that a job's worker was stopped (Ctrl-C, a second SIGTERM) mid-run: queued
    again, to be run from the start, and the stop does not count as a lost run. Return
    whether it is to be queued again (not if it was taken back meanwhile)."""
    stopped = Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, attempts=job.attempts)
    requeued = stopped.update(
        status=Job.Status.QUEUED,
        attempts=job.attempts - 1,
        stage="queued again: its worker was stopped",
        log=log_append(job.log, ["its worker was stopped; queued again"]),
    )
    return bool(requeued)


def job_finish(
    *, job: Job, lines: list[str], status: str, stage: str, result: dict, error: str = ""
) -> None:
    """Record how this run of a job ended (its last log lines, and its result if it
    succeeded), unless the job was taken back from it."""
    job.log = log_append(job.log, lines)
    fields = {"status": status, "stage": stage, "error": error[:500], "log": job.log}
    if status == Job.Status.SUCCEEDED:
        fields.update(progress=1.0, result=result)
    Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, attempts=job.attempts).update(
        finished_at=timezone.now(), **fields
    )
