"""GET /metrics: this server's metrics in the Prometheus text format, for Prometheus only.

Under gunicorn every worker process writes its counters and histograms to
PROMETHEUS_MULTIPROC_DIR and a scrape sums them all, so one scrape of one
server gives that server's totals, whichever worker answers. What the
database knows (the model versions' roles, the latest drift check) is read
at scrape time: the same on every server, so Prometheus queries take it with
max(), not sum().
"""

import hmac
import logging
import os
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Min, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Metric,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from recognizer.errors import error_response
from recognizer.jobs import QUEUES
from recognizer.models import DriftCheck, Job, ModelVersion

logger = logging.getLogger(__name__)

LOOPBACK = {"127.0.0.1", "::1"}
UNFINISHED = (Job.Status.QUEUED, Job.Status.RUNNING)


ROLE_LABELS = {
    ModelVersion.Role.IN_SERVICE: "in_service",
    ModelVersion.Role.CHALLENGER: "challenger",
}


def model_info() -> Metric:
    """Return recognizer_model_info: 1 for each version with a role (in service, challenger)."""
    family = GaugeMetricFamily(
        "recognizer_model_info",
        "The model versions at work: 1 for the one in service (role in_service) and the "
        "challenger.",
        labels=["version", "role"],
    )
    for version, role in ModelVersion.objects.exclude(role="").values_list("version", "role"):
        family.add_metric([version, ROLE_LABELS[role]], 1)
    return family


def latest_drift() -> Metric:
    """Return recognizer_drift: the PSI of each dimension in the latest drift check."""
    family = GaugeMetricFamily(
        "recognizer_drift",
        "Population stability index of the latest drift check of the model in service "
        "against its evaluation set, by dimension (digits, confidence); above 0.2 is a shift.",
        labels=["dimension"],
    )
    latest = DriftCheck.objects.order_by("-checked_at", "-id").first()
    if latest is not None:
        family.add_metric(["digits"], latest.digits_psi)
        family.add_metric(["confidence"], latest.confidence_psi)
    return family


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


class DatabaseCollector(Collector):
    """The metrics read from the database at each scrape, one function each."""

    readers: tuple[Callable[[], Metric], ...] = (
        model_info,
        latest_drift,
        jobs_unfinished,
        jobs_finished,
        oldest_queued,
    )

    def collect(self) -> Iterator[Metric]:
        for reader in self.readers:
            try:
                yield reader()
            except DatabaseError as error:
                # The process metrics still say something; the alerts see the gap.
                logger.warning("metric %s not read: %s", reader.__name__, error)


class ProcessCollector(Collector):
    """This process's own metrics (outside gunicorn: runserver, the tests)."""

    def collect(self) -> Iterator[Metric]:
        return REGISTRY.collect()


def scrape_registry() -> CollectorRegistry:
    """Return what a scrape reads: every worker's files (or this process's metrics) and
    the database's metrics."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(ProcessCollector())
    registry.register(DatabaseCollector())
    return registry


def may_scrape(request: HttpRequest) -> bool:
    """Whether the request may read /metrics: it carries the bearer METRICS_TOKEN, or
    with DEBUG on it comes from this machine."""
    token = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token):
        return True
    return settings.DEBUG and request.META.get("REMOTE_ADDR") in LOOPBACK


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Answer Prometheus' scrape with this server's metrics; 401 without the token."""
    if not may_scrape(request):
        response = error_response(
            "Send the metrics token: 'Authorization: Bearer <METRICS_TOKEN>'."
            if settings.METRICS_TOKEN
            else "Metrics are off: set METRICS_TOKEN on the server to serve them.",
            "not_authenticated",
            status=401,
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)
