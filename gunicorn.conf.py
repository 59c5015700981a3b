"""gunicorn settings for `make serve`, read from the environment.

gunicorn loads this file by itself when started from the project folder
(`gunicorn digitsite.wsgi`); `make serve` names it explicitly. Defaults suit
a small machine with 2 cores: 2 worker processes of 2 threads each. A
prediction spends part of its time outside the GIL (image decoding, zlib,
numpy, the database, SQLite's sleeps while another process writes), so a
second thread keeps a core busy meanwhile; more threads per process only
queue behind its GIL, lengthen the slowest requests and grow its memory
(4 threads: ~220 MB resident per worker under load, p99 ~1.5x; measured).
"""

import gc
import os
import shutil
import tempfile
from pathlib import Path

import environ

# The same reader of the environment as digitsite/settings.py.
env = environ.Env()

host = env.str("HOST", default="127.0.0.1")
port = env.int("PORT", default=8000)
bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]

worker_class = "gthread"
workers = env.int("WEB_WORKERS", default=2)
threads = env.int("WEB_THREADS", default=2)
# Seconds a request may take before its worker is restarted.
timeout = env.int("WEB_TIMEOUT", default=30)
# Seconds a connection stays open for another request. A kept connection
# stays with the worker that accepted it, so a few busy ones (a load test, a
# proxy's pool) can pile onto one worker while another idles (bench/load.py
# shows it). Closing each connection after its response (0) spreads requests
# evenly; raise it for browsers far away connecting directly.
keepalive = env.int("WEB_KEEPALIVE", default=0)
# Import the application (Django and scikit-learn: most of a worker's memory) once
# in the master and fork the workers from it, so that they share those pages
# and start at once. Each worker still loads the model itself, on start.
preload_app = env.bool("WEB_PRELOAD", default=True)

# The application logs one line per request (recognizer.middleware); gunicorn's
# own access log would repeat it. Errors and lifecycle go to stderr.
accesslog = None
errorlog = "-"
loglevel = env.str("LOG_LEVEL", default="info").lower()

# gunicorn 27 opens a control socket in the home folder by default, and two
# instances on one machine fight over it; nothing here uses it.
control_socket_disable = True

# The heartbeat file of each worker lives in memory, not on a possibly slow disk.
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None

# Prometheus' multiprocess mode: each worker writes its metrics to files in
# this folder and /metrics sums them, so one scrape gives the whole server's
# totals. One folder per server, PROMETHEUS_MULTIPROC_DIR or else a new one
# in memory, emptied of its metric files (*.db) here, as this file is read
# before the application (and prometheus_client) is imported: a previous
# run's files would add its counts.
metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
metrics_dir_is_ours = not metrics_dir
if metrics_dir_is_ours:
    metrics_dir = tempfile.mkdtemp(prefix="digits-metrics-", dir=worker_tmp_dir)
else:
    Path(metrics_dir).mkdir(parents=True, exist_ok=True)
    for old in Path(metrics_dir).glob("*.db"):
        old.unlink()
os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir


def on_exit(server) -> None:
    """Remove the metrics folder made for this run."""
    if metrics_dir_is_ours:
        shutil.rmtree(metrics_dir, ignore_errors=True)


def pre_fork(server, worker) -> None:
    """Keep the garbage collector off what the master imported before forking.

    Those objects live as long as the process: with them frozen (Python's
    gc.freeze, meant for this) the workers' collections neither scan them
    nor copy their memory pages.
    """
    gc.freeze()


def child_exit(server, worker) -> None:
    """Mark a worker that stopped as dead for the metrics: its counts stay in the
    totals, its live gauges leave them."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker) -> None:
    """Import the views and load the model before the first request, not during it.

    Reading and verifying the artifact (and, with WEB_PRELOAD=0, importing
    scikit-learn) takes a while: once per worker process, as it starts.
    Without a model the worker starts anyway; /readyz and /api/predict/ say
    what is missing.
    """
    from django.urls import get_resolver

    from recognizer.ml.guessing import ModelUnavailable
    from recognizer.registry.serving import served_models

    get_resolver().url_patterns  # noqa: B018 (imports every view module)
    try:
        served_models().in_service()
    except ModelUnavailable as error:
        worker.log.warning("no model in service yet: %s", error)
