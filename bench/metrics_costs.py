"""Metrics cost benchmark: CPU time the Prometheus metrics add to each request.

In-process, in prometheus_client's multiprocess mode as under gunicorn (the
metrics in files of a temporary PROMETHEUS_MULTIPROC_DIR), it times, per
call, in CPU microseconds (process time):

- django-prometheus' two middlewares around a view that does nothing, minus
  the same view alone (what every request pays);
- the app's own counters of one stored prediction (`recognizer.history.metrics`);
- one scrape: every file read and the text written (`recognizer.web.metrics`),
  with the database's metrics.

    .venv/bin/python bench/metrics_costs.py

`bench/load.py --compare-metrics` measures the same under load, with and
without django-prometheus. Figures depend on the machine's load.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
METRICS_DIR = tempfile.mkdtemp(prefix="digits-bench-metrics-")
# Before prometheus_client is imported, as gunicorn.conf.py does.
os.environ["PROMETHEUS_MULTIPROC_DIR"] = METRICS_DIR
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digitsite.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django_prometheus.middleware import (  # noqa: E402
    PrometheusAfterMiddleware,
    PrometheusBeforeMiddleware,
)

from recognizer.history import metrics  # noqa: E402
from recognizer.models import Prediction  # noqa: E402
from recognizer.web import metrics as scrape  # noqa: E402


def microseconds(call: Callable[[], object], count: int) -> float:
    """Return the CPU microseconds of one call, averaged over `count`."""
    started = time.process_time()
    for _ in range(count):
        call()
    return (time.process_time() - started) / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20000, help="calls timed [%(default)s]")
    options = parser.parse_args()

    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    instrumented = PrometheusBeforeMiddleware(PrometheusAfterMiddleware(view))
    factory = RequestFactory()
    bare = microseconds(lambda: view(factory.post("/api/predict/")), options.count)
    with_middleware = microseconds(
        lambda: instrumented(factory.post("/api/predict/")), options.count
    )
    prediction = Prediction(model_version="abcdef012345", digit=3, confidence=0.9)
    counters = microseconds(
        lambda: metrics.predictions_observed([prediction], source="api", seconds=0.002),
        options.count,
    )
    scraped = microseconds(lambda: scrape.generate_latest(scrape.scrape_registry()), 200)
    print(f"django-prometheus middlewares, per request:   {with_middleware - bare:8.1f} µs")
    print(f"the app's counters of one stored prediction:  {counters:8.1f} µs")
    print(f"one scrape of /metrics (this process's files): {scraped:8.1f} µs")
    print(f"(load average {', '.join(f'{value:.2f}' for value in os.getloadavg())})")


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(METRICS_DIR, ignore_errors=True)
