"""What /metrics reads from the database about the jobs: how many wait or run on each
queue, how many ended and how, and how long the oldest has waited."""

from django.db.models import Count, Min, QuerySet
from django.utils import timezone
from prometheus_client import Metric
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from recognizer.jobs.runner import QUEUES
from recognizer.models import Job

UNFINISHED = (Job.Status.QUEUED, Job.Status.RUNNING)


def job_counts(jobs: QuerySet[Job]) -> dict[tuple[str, str], int]:
    """Return how many of `jobs` there are of each kind and status (one grouped query)."""
    rows = jobs.order_by().values("kind", "status").annotate(n=Count("id"))
    return {(row["kind"], row["status"]): row["n"] for row in rows}


def jobs_unfinished() -> Metric:
    """Return recognizer_jobs: the jobs queued and running, by queue and status."""
    family = GaugeMetricFamily(
        "recognizer_jobs",
        "Jobs waiting for a worker or running, by queue (default, training) and status.",
        labels=["queue", "status"],
    )
    counts = job_counts(Job.objects.filter(status__in=UNFINISHED))
    for queue in sorted(set(QUEUES.values())):
        for status in UNFINISHED:
            kinds = [kind for kind, its_queue in QUEUES.items() if its_queue == queue]
            family.add_metric([queue, status], sum(counts.get((k, status), 0) for k in kinds))
    return family


def jobs_finished() -> Metric:
    """Return recognizer_jobs_finished_total: the jobs ended, by kind and status."""
    family = CounterMetricFamily(
        "recognizer_jobs_finished",
        "Jobs ended since the history began, by kind (train, rescore, export) and status "
        "(succeeded, failed, cancelled).",
        labels=["kind", "status"],
    )
    counts = job_counts(Job.objects.exclude(status__in=UNFINISHED))
    for kind in Job.Kind.values:
        for status in (Job.Status.SUCCEEDED, Job.Status.FAILED, Job.Status.CANCELLED):
            family.add_metric([kind, status], counts.get((kind, status), 0))
    return family


def oldest_queued() -> Metric:
    """Return recognizer_jobs_oldest_queued_seconds: how long the oldest queued job has
    waited (0 when none waits)."""
    family = GaugeMetricFamily(
        "recognizer_jobs_oldest_queued_seconds",
        "Seconds the oldest queued job has waited for a worker; 0 when none waits.",
    )
    oldest = Job.objects.filter(status=Job.Status.QUEUED).aggregate(at=Min("created_at"))["at"]
    family.add_metric([], (timezone.now() - oldest).total_seconds() if oldest else 0)
    return family
