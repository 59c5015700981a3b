"""Load benchmark: real drawings sent to a running server, figures printed.

Renders a few hundred distinct 280x280 canvas-like PNG drawings first, then
for each concurrency level (1, 8 and 32 by default) sends them as JSON data
URIs to POST /api/predict/ from that many threads, each on its own
keep-alive connection, for a bounded number of requests and seconds. Every
request is a real prediction, stored by the server. Prints requests per
second, latency percentiles and errors, and, when the server runs on this
machine, the CPU time its worker processes spent per prediction (from
/proc) and their memory (RSS).

The server must not throttle the benchmark: start it with a high
THROTTLE_PREDICT_ANON_RATE, per second (DRF's throttle keeps, per client, the
time of every request within the period; for this one client sending
hundreds a second, a per-minute period would mean tens of thousands of
timestamps pickled on every request, a cost no real mix of clients pays),
and preferably on a throwaway database and media folder. `--serve` does
all that itself (a temporary copy of the project's SQLite database, for the
model `make run` serves, a temporary media folder, `make serve` on the
URL's port, stopped at the end):

    .venv/bin/python bench/load.py --serve
    .venv/bin/python bench/load.py --serve --s3    # drawings in a moto bucket
    .venv/bin/python bench/load.py --compare-metrics   # with and without metrics
    # or, against a server of your own:
    THROTTLE_PREDICT_ANON_RATE=1000000/second SECRET_KEY=... make serve
    .venv/bin/python bench/load.py --url http://127.0.0.1:8000

Only 127.0.0.1, ::1 and localhost are accepted as targets. The client runs
on the same machine and competes with the server for the CPU, as it does in
the targets ("2 cores, client included").

`--compare-metrics` measures what the Prometheus metrics cost: it serves in
turn with the project's settings and with django-prometheus taken out
(bench/settings_without_metrics.py), `--rounds` times each, alternating so
that both meet the same load of a shared machine, and prints the levels of
each run, then the time one scrape of /metrics takes.
"""

import argparse
import base64
import http.client
import io
import itertools
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from recognizer.ml import synthetic  # noqa: E402

LOCAL_HOSTS = {"127.0.0.1", "::1", "localhost"}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def render_drawings(count: int, seed: int) -> tuple[list[str], int]:
    """`count` distinct canvas drawings as data URIs, and the mean size of their PNGs."""
    rng = np.random.default_rng(seed)
    uris, png_sizes = [], []
    for index in range(count):
        buffer = io.BytesIO()
        synthetic.synthetic_drawing(index % 10, rng).save(buffer, format="PNG")
        png = buffer.getvalue()
        png_sizes.append(len(png))
        uris.append("data:image/png;base64," + base64.b64encode(png).decode())
    return uris, round(statistics.mean(png_sizes))


def render_bodies(count: int, seed: int) -> tuple[list[bytes], int]:
    """`count` distinct prediction requests, and the mean size of their PNGs."""
    uris, mean_png = render_drawings(count, seed)
    return [json.dumps({"image": uri}).encode() for uri in uris], mean_png


# The server's processes, found through the listening socket ------------------


def listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(inode)
    return inodes


def server_processes(port: int) -> tuple[list[int], list[int]]:
    """(workers, others) among the processes that hold the listening socket.

    gunicorn's master opens it and its workers inherit it: the workers are
    those whose parent holds it too.
    """
    targets = {f"socket:[{inode}]" for inode in listening_inodes(port)}
    holders = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if str(fd.readlink()) in targets:
                    holders.add(int(proc.name))
                    break
        except OSError:
            continue
    workers = sorted(pid for pid in holders if parent_of(pid) in holders)
    return workers, sorted(holders - set(workers))


def parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / CLOCK_TICKS


def memory_megabytes(pid: int) -> tuple[float, float]:
    """(RSS, USS) of a process: resident, and resident in its own pages only.

    RSS counts shared pages (libraries, and with --preload the application's
    pages inherited from the master) in every process; USS is what stopping
    this one process would give back.
    """
    rss = uss = float("nan")
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            name, _, value = line.partition(":")
            if name == "Rss":
                rss = int(value.split()[0]) * 1024 / 1e6
            elif name in ("Private_Clean", "Private_Dirty"):
                uss = (0 if uss != uss else uss) + int(value.split()[0]) * 1024 / 1e6
    except OSError:
        pass
    return rss, uss


# The load ----------------------------------------------------------------------


@dataclass
class Level:
    concurrency: int
    drawings_per_request: int = 1
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    server_cpu: float | None = None
    client_cpu: float = 0.0
    worker_memory: list[tuple[float, float]] = field(default_factory=list)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


def run_level(
    target: urllib.parse.SplitResult,
    bodies: list[bytes],
    concurrency: int,
    max_requests: int,
    max_seconds: float,
    workers: list[int],
    endpoint: str = "/api/predict/",
    drawings_per_request: int = 1,
) -> Level:
    """Send the bodies from `concurrency` threads; a request counts as done when it
    answers 201 with a prediction for each of its drawings (`drawings_per_request`)."""
    level = Level(concurrency, drawings_per_request)
    lock = threading.Lock()
    counter = itertools.count()
    start_barrier = threading.Barrier(concurrency + 1)
    path = target.path.rstrip("/") + endpoint
    answer = b'{"results":' if endpoint.endswith("/batch/") else b'{"id":'
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    deadline = [0.0]

    def client(offset: int) -> None:
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        latencies, errors = [], []
        start_barrier.wait()
        while True:
            index = next(counter)
            if index >= max_requests or time.perf_counter() > deadline[0]:
                break
            body = bodies[(index + offset) % len(bodies)]
            sent = time.perf_counter()
            try:
                connection.request("POST", path, body, headers)
                response = connection.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException) as error:
                errors.append(type(error).__name__)
                connection.close()
                continue
            latencies.append(time.perf_counter() - sent)
            if response.status != 201 or not payload.startswith(answer):
                errors.append(f"HTTP {response.status}")
            elif b'{"error":' in payload:  # a drawing of a batch refused
                errors.append("HTTP 201 with a refused drawing")
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
        connection.close()
        with lock:
            level.latencies.extend(latencies)
            for kind in errors:
                level.error(kind)

    threads = [
        threading.Thread(target=client, args=(i * 7,), daemon=True) for i in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    cpu_before = cpu_seconds(workers) if workers else None
    client_before = time.process_time()
    started = time.perf_counter()
    deadline[0] = started + max_seconds
    start_barrier.wait()
    for thread in threads:
        thread.join()
    level.elapsed = time.perf_counter() - started
    level.client_cpu = time.process_time() - client_before
    if workers:
        level.server_cpu = cpu_seconds(workers) - cpu_before
        level.worker_memory = [memory_megabytes(pid) for pid in workers]
    return level


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def report(levels: list[Level]) -> None:
    print()
    print(
        "concurrency  requests  errors     rps   p50 ms   p90 ms   p99 ms   max ms"
        "  server CPU ms/pred  client CPU ms/req  worker RSS (USS) MB"
    )
    for level in levels:
        done = len(level.latencies)
        ok = done - sum(count for kind, count in level.errors.items() if kind.startswith("HTTP"))
        lat = sorted(value * 1000 for value in level.latencies)
        rps = done / level.elapsed if level.elapsed else float("nan")
        cpu = (
            f"{level.server_cpu * 1000 / ok:18.2f}"
            if level.server_cpu is not None and ok
            else f"{'n/a':>18}"
        )
        client = level.client_cpu * 1000 / max(done, 1)
        rss = ", ".join(f"{rss:.0f} ({uss:.0f})" for rss, uss in level.worker_memory) or "n/a"
        print(
            f"{level.concurrency:11d} {done:9d} {sum(level.errors.values()):7d} {rps:7.0f}"
            f" {percentile(lat, 0.50):8.1f} {percentile(lat, 0.90):8.1f}"
            f" {percentile(lat, 0.99):8.1f} {lat[-1] if lat else float('nan'):8.1f}"
            f" {cpu}  {client:17.2f}  {rss}"
        )
        if level.errors:
            print(f"{'':11s} errors: {level.errors}")


# Starting a throwaway server (--serve) ----------------------------------------------


def start_bucket(workdir: Path) -> tuple[subprocess.Popen, dict[str, str]]:
    """A moto S3 server holding a bucket with the project's model artifacts; its
    process and the settings that point `make serve` at it."""
    import boto3

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    moto = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=(workdir / "moto.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    settings = {
        "S3_BUCKET": "bench",
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_S3_REGION_NAME": "us-east-1",
    }
    client = boto3.client(
        "s3",
        endpoint_url=settings["S3_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    for _ in range(100):
        try:
            client.create_bucket(Bucket="bench")
            break
        except Exception:  # not listening yet
            time.sleep(0.1)
    # The registry names artifacts in the models storage: with a bucket, there.
    for artifact in (PROJECT / "var" / "models").glob("model-*.joblib"):
        client.upload_file(str(artifact), "bench", f"models/{artifact.name}")
    return moto, settings


def start_server(port: int, workdir: Path, **settings: str) -> subprocess.Popen:
    # A copy of the project's database: the model `make run` serves, and a
    # history that the benchmark's rows do not end up in.
    database = PROJECT / "var" / "db.sqlite3"
    if database.exists():
        shutil.copyfile(database, workdir / "db.sqlite3")
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-not-secret",
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "MEDIA_ROOT": str(workdir / "media"),
        "THROTTLE_PREDICT_ANON_RATE": "1000000/second",
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
        **settings,
    }
    log = (workdir / "server.log").open("w")
    process = subprocess.Popen(
        ["make", "--no-print-directory", "serve"],
        cwd=PROJECT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"The server stopped; see {workdir / 'server.log'}.")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                pass
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.5)
    stop_server(process)
    raise SystemExit("The server did not become ready in 180 s.")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def scrape_milliseconds(target: urllib.parse.SplitResult, token: str, count: int = 20) -> str:
    """Return the median time and the size of `count` scrapes of /metrics."""
    times, size = [], 0
    for _ in range(count):
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        started = time.perf_counter()
        connection.request("GET", "/metrics", headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        size = len(response.read())
        times.append(time.perf_counter() - started)
        connection.close()
        if response.status != 200:
            return f"HTTP {response.status}"
    return f"{statistics.median(times) * 1000:.1f} ms (median of {count}), {size} bytes"


def compare_metrics(target: urllib.parse.SplitResult, bodies: list[bytes], options) -> None:
    """Serve with and without django-prometheus in turn, the same load each, and report."""
    token = "bench-metrics-token"
    modes = {
        "with metrics": {"METRICS_TOKEN": token},
        "without metrics": {"DJANGO_SETTINGS_MODULE": "bench.settings_without_metrics"},
    }
    levels = [int(value) for value in options.concurrency.split(",")]
    for round_number in range(1, options.rounds + 1):
        for mode, settings in modes.items():
            workdir = Path(tempfile.mkdtemp(prefix="digits-bench-"))
            server = start_server(target.port, workdir, **settings)
            try:
                workers, _ = server_processes(target.port)
                run_level(target, bodies, 4, options.warmup, 60, [])
                results = [
                    run_level(target, bodies, level, options.requests, options.seconds, workers)
                    for level in levels
                ]
                print(f"\nround {round_number}, {mode}:", end="")
                report(results)
                if "METRICS_TOKEN" in settings:
                    print(f"one scrape of /metrics: {scrape_milliseconds(target, token)}")
            finally:
                stop_server(server)
                shutil.rmtree(workdir, ignore_errors=True)


def stored_drawing_sizes(media: Path) -> list[int]:
    return [path.stat().st_size for path in media.rglob("*.png")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the server (local only)")
    parser.add_argument(
        "--concurrency", default="1,8,32", help="comma-separated levels [%(default)s]"
    )
    parser.add_argument(
        "--requests", type=int, default=3000, help="at most this many per level [%(default)s]"
    )
    parser.add_argument(
        "--seconds", type=float, default=20, help="at most this long per level [%(default)s]"
    )
    parser.add_argument("--warmup", type=int, default=100, help="requests before measuring")
    parser.add_argument("--drawings", type=int, default=300, help="distinct drawings to send")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--serve",
        action="store_true",
        help="start `make serve` on the URL's port with a temporary database and media "
        "folder and no throttling, and stop it at the end",
    )
    parser.add_argument(
        "--s3",
        action="store_true",
        help="with --serve: drawings and models in a bucket of a moto S3 server started "
        "for the run, instead of local folders",
    )
    parser.add_argument(
        "--compare-metrics",
        action="store_true",
        help="serve (as --serve) with and without django-prometheus in turn and compare",
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="with --compare-metrics: runs of each"
    )
    options = parser.parse_args()

    target = urllib.parse.urlsplit(options.url)
    if target.scheme != "http" or target.hostname not in LOCAL_HOSTS:
        parser.error("only http://127.0.0.1, http://[::1] or http://localhost are benchmarked")
    target = target._replace(netloc=f"{target.hostname}:{target.port or 80}")
    levels = [int(value) for value in options.concurrency.split(",")]

    started = time.perf_counter()
    bodies, mean_png = render_bodies(options.drawings, options.seed)
    print(
        f"{len(bodies)} distinct drawings rendered in {time.perf_counter() - started:.1f} s "
        f"(PNG sent: {mean_png} bytes on average, 280x280 RGBA)"
    )

    if options.compare_metrics:
        compare_metrics(target, bodies, options)
        return
    workdir = server = bucket = None
    if options.serve:
        workdir = Path(tempfile.mkdtemp(prefix="digits-bench-"))
        settings = {}
        if options.s3:
            bucket, settings = start_bucket(workdir)
            print(f"drawings and models in a moto bucket at {settings['S3_ENDPOINT_URL']}")
        print(f"starting `make serve` on port {target.port} in {workdir} ...")
        server = start_server(target.port, workdir, **settings)
    try:
        workers, _ = server_processes(target.port)
        if workers:
            print(f"server worker processes: {workers}")
        else:
            print("server processes not visible in /proc: no CPU or memory figures")
        run_level(target, bodies, 4, options.warmup, 60, [])
        results = []
        for concurrency in levels:
            results.append(
                run_level(target, bodies, concurrency, options.requests, options.seconds, workers)
            )
            print(
                f"  concurrency {concurrency}: {len(results[-1].latencies)} requests "
                f"in {results[-1].elapsed:.1f} s"
            )
        report(results)
        print(
            f"\nmachine: {os.cpu_count()} CPUs, load average before the end "
            f"{', '.join(f'{value:.2f}' for value in os.getloadavg())}"
        )
        if workdir:
            sizes = stored_drawing_sizes(workdir / "media")
            if sizes:
                print(
                    f"stored drawings: {len(sizes)}, {statistics.mean(sizes):.0f} bytes on "
                    f"average (median {statistics.median(sizes):.0f}, max {max(sizes)})"
                )
    finally:
        for process in (server, bucket):
            if process is not None:
                stop_server(process)
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
