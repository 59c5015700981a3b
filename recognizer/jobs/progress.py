"""A job while it runs: its progress and log as its code reports them, the heartbeat that
keeps its lease, and how it ended. Also the words people read for each stage.

Stages are named as `recognizer.ml.progress` says ("train:digits"); each kind
of job gives each stage kind a share of its progress bar (SHARES).
"""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from recognizer.jobs.services import JobCancelled, JobTakenBack, job_finish, log_append
from recognizer.models import Job

logger = logging.getLogger(__name__)

WRITE_EVERY_SECONDS = 0.5  # progress is written at most this often (and at each new stage)

# What each stage does, by the stage's kind ("train:DATASET" -> "train").
STAGE_NAMES = {
    "list": "listing",
    "train": "preprocessing",
    "held-out": "preprocessing held-out",
    "fit": "fitting and calibrating",
    "judge": "scoring the model in service on",
    "score": "scoring",
    "rescore": "rescoring with",
    "export": "exporting labelled drawings",
}
LABEL_WIDTH = 44

# The share of a job's progress each stage covers, by the stage's kind.
SHARES = {
    Job.Kind.TRAIN: {
        "list": (0.0, 0.05),
        "train": (0.05, 0.55),
        "held-out": (0.55, 0.6),
        "fit": (0.6, 0.9),
        "judge": (0.9, 0.95),
        "score": (0.95, 1.0),
    },
    Job.Kind.EXPORT: {"export": (0.0, 1.0)},
}


def stage_label(stage: str) -> str:
    """Return a stage's label, at most LABEL_WIDTH wide: a long path loses its start."""
    kind, _, name = stage.partition(":")
    label = f"{STAGE_NAMES.get(kind, kind)} {name}".strip()
    return label if len(label) <= LABEL_WIDTH else "…" + label[-(LABEL_WIDTH - 1) :]


class Reporter:
    """What a running job's code is given: `progress(stage, done, total)` at each step,
    `message(text)` for its log. Each write checks the job is still this run's and not
    cancelled (JobCancelled, JobTakenBack otherwise)."""

    def __init__(self, job: Job):
        self.job = job
        self.shares = dict(SHARES.get(job.kind, {}))
        self.lines: list[str] = []
        self.progress_done = 0.0
        self.stage = ""
        self.written_at = 0.0
        self.result: dict = {}

    def message(self, text: str) -> None:
        self.lines.extend(line for line in text.splitlines() if line.strip())

    def progress(self, stage: str, done: int, total: int) -> None:
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

    def finish(self, *, status: str, stage: str, error: str = "") -> None:
        """Record how the run ended, with the log lines not written yet."""
        lines, self.lines = self.lines, []
        job_finish(
            job=self.job, lines=lines, status=status, stage=stage, result=self.result, error=error
        )


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
    result (set as `reporter.result`), cancelled, or failed with the reason.

    An exception is recorded, then raised again for the worker's log (a
    cancellation is not an error; a run taken back records nothing; a worker
    stopped mid-run records nothing either: its runner queues the job again)."""
    heartbeat = Heartbeat(job)
    heartbeat.start()
    handler = JobLogHandler(reporter)
    logging.getLogger("recognizer").addHandler(handler)
    try:
        yield reporter
        reporter.finish(status=Job.Status.SUCCEEDED, stage="done")
    except JobCancelled:
        reporter.message(f"cancelled at: {reporter.stage or 'the start'}")
        reporter.finish(status=Job.Status.CANCELLED, stage="cancelled as asked")
    except JobTakenBack:
        logger.warning("job %s: taken back from this worker; stopping", job.pk)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:
        reason = error_sentence(error)
        reporter.message(f"failed: {reason}")
        reporter.finish(status=Job.Status.FAILED, stage="failed", error=reason)
        raise
    finally:
        logging.getLogger("recognizer").removeHandler(handler)
        heartbeat.stop()


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
