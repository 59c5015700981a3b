"""A real gunicorn server (`gunicorn.conf.py`, as `make serve` runs it) for the tests.

It runs in its own processes with production settings (DEBUG off), on a
free port, against the database named by a DATABASE_URL, with its own media
and model folders; the trained model is registered in its database from a
folder of artifacts (`manage.py import_models`). Nothing is shared with the
test process but what it can inspect afterwards.
"""

import hashlib
import http.client
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recognizer.ml import synthetic
from tests.support.canvases import data_uri, png_bytes
from tests.support.processes import PROJECT, SERVER_SECRET_KEY, background, free_port, manage

START_SECONDS = 120


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    media_root: Path
    log: Path

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, dict]:
        """One request on a new connection (so that any worker may answer)."""
        status, content = self.fetch(method, path, body, headers)
        return status, json.loads(content or b"null")

    def fetch(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, bytes]:
        """One request on a new connection; the status and the raw body."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            sent = {"Content-Type": "application/json"} if body is not None else {}
            connection.request(method, path, body, {**sent, **(headers or {})})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def predict_many(self, bodies: list[bytes], concurrency: int) -> list[tuple[int, dict]]:
        with ThreadPoolExecutor(concurrency) as pool:
            return list(pool.map(lambda body: self.request("POST", "/api/predict/", body), bodies))

    def try_predict_many(
        self, bodies: list[bytes], concurrency: int
    ) -> list[tuple[int | None, dict | None]]:
        """As predict_many, with (None, None) for a request whose connection broke."""

        def attempt(body: bytes) -> tuple[int | None, dict | None]:
            try:
                return self.request("POST", "/api/predict/", body)
            except (OSError, http.client.HTTPException, ValueError):
                return None, None

        with ThreadPoolExecutor(concurrency) as pool:
            return list(pool.map(attempt, bodies))

    def log_lines(self) -> list[str]:
        return self.log.read_text().splitlines()


def prediction_bodies(count: int, seed: int = 0) -> list[bytes]:
    """`count` distinct canvas-like drawings as /api/predict/ JSON bodies."""
    rng = np.random.default_rng(seed)
    drawings = [synthetic.synthetic_drawing(index % 10, rng) for index in range(min(count, 40))]
    uris = [data_uri(png_bytes(drawing)) for drawing in drawings]
    return [json.dumps({"image": uris[index % len(uris)]}).encode() for index in range(count)]


def write_model_folder(folder: Path, data: bytes, metadata: dict) -> str:
    """Write an artifact as `import_models` reads it (bytes, JSON metadata, ACTIVE)."""
    digest = hashlib.sha256(data).hexdigest()
    version = digest[:12]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"model-{version}.joblib").write_bytes(data)
    (folder / f"model-{version}.json").write_text(json.dumps({**metadata, "sha256": digest}))
    (folder / "ACTIVE").write_text(f"{version}\n")
    return version


@contextmanager
def gunicorn_server(
    tmp_path: Path,
    model_folder: Path,
    database_url: str,
    *,
    workers: int,
    threads: int,
    name: str = "server",
    **environment: str,
) -> Iterator[Server]:
    folder = tmp_path / name
    folder.mkdir(parents=True, exist_ok=True)
    media_root = folder / "media"
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "digitsite.settings",
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on 127.0.0.1
        "SECRET_KEY": SERVER_SECRET_KEY,
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(media_root),
        "MODEL_DIR": str(folder / "models"),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_WORKERS": str(workers),
        "WEB_THREADS": str(threads),
        "THROTTLE_PREDICT_ANON_RATE": "1000000/second",
        "LOG_LEVEL": "INFO",
        **environment,
    }
    manage("migrate", "--noinput", **env)
    manage("import_models", str(model_folder), **env)
    log = folder / "gunicorn.log"
    gunicorn = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "digitsite.wsgi"]
    with background(gunicorn, log, env=env, cwd=PROJECT) as process:
        server = Server(port=port, process=process, media_root=media_root, log=log)
        wait_until_ready(server, process, workers)
        yield server


def wait_until_ready(server: Server, process: subprocess.Popen, workers: int) -> None:
    """Until every worker has booted and one answers /readyz."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped:\n{server.log.read_text()}")
        booted = sum("model" in line and "loaded from" in line for line in server.log_lines())
        if booted >= workers:
            try:
                if server.request("GET", "/readyz")[0] == 200:
                    return
            except OSError:
                pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn was not ready in {START_SECONDS} s:\n{server.log.read_text()}")
