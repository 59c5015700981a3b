"""Other processes for the tests: servers in the background, management commands."""

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
SERVER_SECRET_KEY = "server-tests-only-not-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def background(
    command: list[str], log: Path, *, env: dict | None = None, cwd: Path | None = None
) -> Iterator[subprocess.Popen]:
    """Run a server in a session of its own; stop it (and its children) on exit."""
    with log.open("w") as output:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def manage(
    *args: str, check: bool = True, inherit: bool = True, **environment: str
) -> subprocess.CompletedProcess:
    """Run a management command with production settings, as a server machine would:
    with this process's environment (the test database's, say), or with none of it
    but PATH (``inherit=False``: the settings' own defaults), then ``environment``."""
    inherited = os.environ if inherit else {"PATH": os.environ["PATH"]}
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env={
            **inherited,
            "DJANGO_SETTINGS_MODULE": "digitsite.settings",
            "DEBUG": "0",
            "SECRET_KEY": SERVER_SECRET_KEY,
            **environment,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 or not check, result.stdout + result.stderr
    return result
