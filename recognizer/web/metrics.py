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
from django.http import HttpRequest, HttpResponse
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
from prometheus_client.registry import Collector

from recognizer.errors import error_response
from recognizer.jobs.metrics import jobs_finished, jobs_unfinished, oldest_queued
from recognizer.monitoring.metrics import latest_drift, model_info

logger = logging.getLogger(__name__)

LOOPBACK = {"127.0.0.1", "::1"}


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
