"""Reads of the jobs."""

from recognizer.models import Job
from recognizer.storage import drawing_storage


def job_file(*, job: Job) -> str | None:
    """Return the name of the file a job wrote (an export's archive), in the drawings'
    storage; None if it wrote none or the file is gone."""
    name = job.result.get("file") if job.status == Job.Status.SUCCEEDED else None
    if not name or not drawing_storage().exists(name):
        return None
    return name


def jobs_unfinished(*, ids: list[int] | None = None) -> bool:
    """Whether any job (of ``ids``, if given) is still queued or running."""
    jobs = Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
    return (jobs.filter(pk__in=ids) if ids is not None else jobs).exists()


def job_like(*, kind: str, parameters: dict) -> Job | None:
    """Return an unfinished job of this kind asked with these very parameters, if any."""
    return (
        Job.objects.filter(kind=kind, status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
        .filter(parameters=parameters)
        .first()
    )
