"""Batch benchmark: the same drawings sent one per request to POST /api/predict/ and
in batches to POST /api/predict/batch/, against the same server in the same run.

Renders a few hundred distinct 280x280 canvas-like drawings (as bench/load.py
does), then, for single requests and for each batch size (1, 10 and 100 by
default), sends them from the same number of threads for a bounded number of
drawings and seconds, and prints predictions per second, latency per request
and the server's CPU time per prediction (from /proc, when the server runs on
this machine). Every drawing is really predicted and stored. Single requests
run first and again last, so that drift of the machine shows.

    .venv/bin/python bench/batch.py --serve
    # or, against a server of your own (see bench/load.py on throttling):
    .venv/bin/python bench/batch.py --url http://127.0.0.1:8000

`--serve` starts `make serve` on a copy of var/db.sqlite3 (which must hold a
registered model: `make run` once, or `manage.py train_model --fast`).
"""

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load


def batch_bodies(uris: list[str], size: int) -> list[bytes]:
    """Return batch requests of `size` drawings, each drawing in turn."""
    count = max(len(uris) // size, 1)
    return [
        json.dumps({"images": [uris[(start * size + i) % len(uris)] for i in range(size)]}).encode()
        for start in range(count)
    ]


def report(modes: list[tuple[str, load.Level]]) -> None:
    print()
    print(
        f"{'mode':18s} {'requests':>8s} {'drawings':>8s} {'errors':>6s} {'drawings/s':>10s}"
        f" {'p50 ms/req':>10s} {'server CPU ms/drawing':>21s} {'vs single':>9s}"
    )
    single_rate = None
    for name, level in modes:
        failed = sum(level.errors.values())
        done = (len(level.latencies) - failed) * level.drawings_per_request
        rate = done / level.elapsed if level.elapsed else float("nan")
        single_rate = single_rate or rate
        latencies = sorted(value * 1000 for value in level.latencies)
        cpu = (
            f"{level.server_cpu * 1000 / done:21.2f}"
            if level.server_cpu is not None and done
            else f"{'n/a':>21}"
        )
        print(
            f"{name:18s} {len(level.latencies):8d} {done:8d} {failed:6d} {rate:10.0f}"
            f" {load.percentile(latencies, 0.5):10.1f} {cpu} {rate / single_rate:8.1f}x"
        )
        if level.errors:
            print(f"{'':18s} errors: {level.errors}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the server (local only)")
    parser.add_argument("--sizes", default="1,10,100", help="batch sizes [%(default)s]")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads [4]")
    parser.add_argument(
        "--drawings-per-mode", type=int, default=4000, help="at most this many per mode [4000]"
    )
    parser.add_argument("--seconds", type=float, default=20, help="at most this long per mode")
    parser.add_argument("--drawings", type=int, default=300, help="distinct drawings to send")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--serve", action="store_true", help="as bench/load.py --serve")
    options = parser.parse_args()

    target = urllib.parse.urlsplit(options.url)
    if target.scheme != "http" or target.hostname not in load.LOCAL_HOSTS:
        parser.error("only http://127.0.0.1, http://[::1] or http://localhost are benchmarked")
    target = target._replace(netloc=f"{target.hostname}:{target.port or 80}")
    sizes = [int(value) for value in options.sizes.split(",")]

    uris, mean_png = load.render_drawings(options.drawings, options.seed)
    singles = [json.dumps({"image": uri}).encode() for uri in uris]
    print(f"{len(uris)} distinct drawings (PNG: {mean_png} bytes on average, 280x280 RGBA)")
    workdir = server = None
    if options.serve:
        workdir = Path(tempfile.mkdtemp(prefix="digits-bench-"))
        print(f"starting `make serve` on port {target.port} in {workdir} ...")
        server = load.start_server(target.port, workdir)
    try:
        workers, _ = load.server_processes(target.port)
        print(f"server worker processes: {workers or 'not visible: no CPU figures'}")
        plan = [("single requests", singles, "/api/predict/", 1)]
        plan += [
            (f"batches of {n}", batch_bodies(uris, n), "/api/predict/batch/", n) for n in sizes
        ]
        plan += [("single (again)", singles, "/api/predict/", 1)]
        results = []
        for name, bodies, endpoint, size in plan:
            requests = math.ceil(options.drawings_per_mode / size)
            # Warm-up: every worker has served this kind of request before it is measured.
            warmup = max(4, 40 // size)
            load.run_level(target, bodies, options.concurrency, warmup, 30, [], endpoint, size)
            level = load.run_level(
                target,
                bodies,
                options.concurrency,
                requests,
                options.seconds,
                workers,
                endpoint,
                size,
            )
            results.append((name, level))
            print(f"  {name}: {len(level.latencies)} requests in {level.elapsed:.1f} s")
        report(results)
        print(
            f"\nconcurrency {options.concurrency}; machine: {os.cpu_count()} CPUs, load average "
            f"{', '.join(f'{value:.2f}' for value in os.getloadavg())}; "
            f"{time.strftime('%Y-%m-%d %H:%M')}"
        )
    finally:
        if server is not None:
            load.stop_server(server)
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
