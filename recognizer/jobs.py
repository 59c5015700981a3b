"""Jobs: queueing the work of workers, following it, cancelling it, taking it back from
a worker that was lost.

The Job row is what people see; a task of Django's tasks framework
(`recognizer.tasks.job_run`, run by `manage.py db_worker`) carries it out.
The task is queued once the row is committed, so that no worker looks for a
job that does not exist yet. While a job runs, a thread of its worker beats
its heartbeat; a running job whose heartbeat is older than JOB_LEASE_SECONDS
lost its worker (killed, machine gone) and is queued again once, then failed.
Each run knows its attempt: a run whose job was taken back stops at its next
step, so two workers never carry on the same job.
"""

import datetime
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.utils import timezone

from recognizer.models import FINISHED, Job, LabelCount

logger = logging.getLogger(__name__)

WORKER_LOST = "the worker was lost"
LOG_LINES = 40
MAX_ATTEMPTS = 2  # the first run, and one more after a worker was lost
TRAINING_QUEUE = "training"
QUEUES = {Job.Kind.TRAIN: TRAINING_QUEUE, Job.Kind.RESCORE: "default", Job.Kind.EXPORT: "default"}
LABELS_COUNTER = "retraining"  # labels counted towards RETRAIN_AFTER_LABELS
WRITE_EVERY_SECONDS = 0.5  # progress is written at most this often (and at each new stage)


class JobError(Exception):
    """A change of a job that cannot be made (cancelling one that ended); says why."""


class JobCancelled(Exception):
    """Someone cancelled the running job: it stops at this step."""


class JobTakenBack(Exception):
    """This run's job was taken back after its lease expired: another run has it."""


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
        job = Job.objects.create(
            kind=kind,
            parameters=parameters,
            requested_via=via,
            requested_by=requested_by if requested_by and requested_by.pk else None,
            stage="waiting for a worker",
        )
        if kind == Job.Kind.TRAIN:  # labels count towards the next training from now
            LabelCount.objects.filter(name=LABELS_COUNTER).update(labels=0)
        transaction.on_commit(lambda: job_enqueue(job_id=job.pk, kind=kind))
    return job


def job_enqueue(*, job_id: int, kind: str) -> None:
    """Queue the task that runs a job, on its kind's queue, and the watch over leases."""
    from recognizer import tasks  # the tasks import the code they run, which imports this

    task = tasks.job_run.using(queue_name=QUEUES[kind]).enqueue(job_id)
    Job.objects.filter(pk=job_id).update(task_id=str(task.id))
    tasks.leases_watch_soon()


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


def jobs_reclaim() -> list[Job]:
    """Take back the running jobs whose heartbeat is older than JOB_LEASE_SECONDS: queue
    each again if it has had one run only, else fail it ("the worker was lost").
    Return the jobs taken back."""
    stale_before = timezone.now() - datetime.timedelta(seconds=settings.JOB_LEASE_SECONDS)
    with transaction.atomic():
        stale = list(
            Job.objects.select_for_update(skip_locked=True).filter(
                status=Job.Status.RUNNING, heartbeat_at__lt=stale_before
            )
        )
        for job in stale:
            job_take_back(job)
    return stale


def job_take_back(job: Job) -> None:
    """Queue a job whose worker was lost again, or fail it if that happened before."""
    from recognizer import tasks

    tasks.task_result_abandon(job.task_id)
    lost = f"{WORKER_LOST} (no heartbeat since {job.heartbeat_at:%H:%M:%S})"
    if job.attempts >= MAX_ATTEMPTS:
        job.status, job.finished_at, job.error = Job.Status.FAILED, timezone.now(), WORKER_LOST
        job.stage = f"failed: {WORKER_LOST}"
        job.log = log_append(job.log, [f"{lost}; not tried again"])
    else:
        job.status, job.stage = Job.Status.QUEUED, f"queued again: {WORKER_LOST}"
        job.log = log_append(job.log, [f"{lost}; queued again"])
        transaction.on_commit(lambda: job_enqueue(job_id=job.pk, kind=job.kind))
    job.save(update_fields=["status", "finished_at", "error", "stage", "log"])
    logger.warning("job %s: %s", job.pk, lost)


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


class Reporter:
    """What a running job's code is given: `progress(stage, done, total)` at each step,
    `message(text)` for its log. Each write checks the job is still this run's and not
    cancelled (JobCancelled, JobTakenBack otherwise)."""

    def __init__(self, job: Job, *, shares: dict[str, tuple[float, float]] | None = None):
        self.job = job
        self.shares = dict(shares or {})
        self.lines: list[str] = []
        self.progress_done = 0.0
        self.stage = ""
        self.written_at = 0.0

    def message(self, text: str) -> None:
        self.lines.extend(line for line in text.splitlines() if line.strip())

    def progress(self, stage: str, done: int, total: int) -> None:
        from recognizer.management.progress import stage_label

        kind = stage.partition(":")[0]
        start, end = self.shares.get(kind, (self.progress_done, self.progress_done))
        share = start + (end - start) * min(done / max(total, 1), 1.0)
        self.progress_done = max(self.progress_done, min(share, 1.0))
        text = f"{stage_label(stage)} {done:,} of {total:,}"
        new_stage = stage != self.stage
        if new_stage:
            self.lines.append(stage_label(stage))
        self.stage = stage
        now = timezone.now().timestamp()
        if new_stage or done >= total or now - self.written_at >= WRITE_EVERY_SECONDS:
            self.write(stage=text)

    def write(self, **fields: object) -> None:
        """Write progress, stage and the new log lines, if the job is still this run's."""
        lines, self.lines = self.lines, []
        job = self.job
        job.log = log_append(job.log, lines) if lines else job.log
        updated = Job.objects.filter(
            pk=job.pk, status=Job.Status.RUNNING, attempts=job.attempts, cancel_requested=False
        ).update(progress=self.progress_done, heartbeat_at=timezone.now(), log=job.log, **fields)
        self.written_at = timezone.now().timestamp()
        if not updated:
            current = Job.objects.get(pk=job.pk)
            if current.cancel_requested and current.attempts == job.attempts:
                raise JobCancelled()
            raise JobTakenBack()


class Heartbeat(threading.Thread):
    """Beats a running job's heartbeat from its worker while its code runs, however
    long a step takes, until stopped."""

    def __init__(self, job: Job) -> None:
        super().__init__(name=f"job-{job.pk}-heartbeat", daemon=True)
        self.job = job
        self.stopped = threading.Event()
        self.every = max(settings.JOB_LEASE_SECONDS / 4, 0.5)

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.every):
                try:
                    Job.objects.filter(
                        pk=self.job.pk, status=Job.Status.RUNNING, attempts=self.job.attempts
                    ).update(heartbeat_at=timezone.now())
                except DatabaseError as error:  # try again at the next beat
                    logger.warning("job %s: heartbeat not written: %s", self.job.pk, error)
                    close_old_connections()
        finally:
            connection.close()  # this thread's own connection

    def stop(self) -> None:
        self.stopped.set()
        self.join()


@contextmanager
def job_running(job: Job, reporter: Reporter) -> Iterator[Reporter]:
    """Run a job's code with a heartbeat and its log, and record how it ended: its
    result (given as `reporter.result`), cancelled, or failed with the reason.

    An exception is recorded, then raised again for the worker's log (a
    cancellation is not an error; a run taken back records nothing)."""
    heartbeat = Heartbeat(job)
    heartbeat.start()
    handler = JobLogHandler(reporter)
    logging.getLogger("recognizer").addHandler(handler)
    try:
        yield reporter
        job_finish(job, reporter, status=Job.Status.SUCCEEDED, stage="done")
    except JobCancelled:
        reporter.message(f"cancelled at: {reporter.stage or 'the start'}")
        job_finish(job, reporter, status=Job.Status.CANCELLED, stage="cancelled as asked")
    except JobTakenBack:
        logger.warning("job %s: taken back from this worker; stopping", job.pk)
    except (KeyboardInterrupt, SystemExit):
        job_requeue_stopped(job)
        raise
    except BaseException as error:
        reason = error_sentence(error)
        reporter.message(f"failed: {reason}")
        job_finish(job, reporter, status=Job.Status.FAILED, stage="failed", error=reason)
        raise
    finally:
        logging.getLogger("recognizer").removeHandler(handler)
        heartbeat.stop()


def job_requeue_stopped(job: Job) -> None:
    """Queue again a job whose worker was stopped (Ctrl-C, a second SIGTERM) mid-run: the
    next worker runs it from the start, and the stop does not count as a lost run."""
    stopped = Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, attempts=job.attempts)
    requeued = stopped.update(
        status=Job.Status.QUEUED,
        attempts=job.attempts - 1,
        stage="queued again: its worker was stopped",
        log=log_append(job.log, ["its worker was stopped; queued again"]),
    )
    if requeued:
        job_enqueue(job_id=job.pk, kind=job.kind)


def job_finish(job: Job, reporter: Reporter, *, status: str, stage: str, error: str = "") -> None:
    """Record how this run of a job ended, unless the job was taken back from it."""
    lines, reporter.lines = reporter.lines, []
    job.log = log_append(job.log, lines)
    fields = {"status": status, "stage": stage, "error": error[:500], "log": job.log}
    if status == Job.Status.SUCCEEDED:
        fields.update(progress=1.0, result=getattr(reporter, "result", {}))
    Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, attempts=job.attempts).update(
        finished_at=timezone.now(), **fields
    )


def error_sentence(error: BaseException) -> str:
    """Return why a job failed, in one sentence."""
    text = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, (ValueError, OSError, LookupError, RuntimeError)) or type(
        error
    ).__module__.startswith("recognizer"):
        return text
    return f"{type(error).__name__}: {text}"


class JobLogHandler(logging.Handler):
    """Copies the recognizer's warnings during a run into the job's log."""

    def __init__(self, reporter: Reporter) -> None:
        super().__init__(level=logging.WARNING)
        self.reporter = reporter
        self.thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.reporter.lines.append(f"{record.levelname.lower()}: {record.getMessage()}")
