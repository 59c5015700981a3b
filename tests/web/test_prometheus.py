"""Prometheus itself, as an operator runs it: the shipped rules and scrape configuration
check, and a real Prometheus scraping two gunicorn servers of two workers each adds
their predictions up exactly.

Needs Debian's `prometheus` package (`make system-packages` installs it).
"""

import json
import os
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.support.gunicorn import gunicorn_server, prediction_bodies
from tests.support.processes import PROJECT, background, free_port
from tests.support.waiting import wait_for

# Its servers each keep their own SQLite file, whatever the suite runs on.
pytestmark = [pytest.mark.server, pytest.mark.one_pass]

SHIPPED = PROJECT / "docs" / "prometheus"
TOKEN = "prometheus-test-token"
PREDICTIONS = 24


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: `make system-packages` installs Debian's prometheus"
    return path


def promtool(*args: str) -> str:
    result = subprocess.run(
        [tool("promtool"), *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def configuration(folder: Path, targets: list[str]) -> Path:
    """The shipped configuration for these targets, scraped every second, with the
    token in a file and the shipped rules beside it."""
    token_file = folder / "token"
    token_file.write_text(TOKEN)
    text = (SHIPPED / "prometheus.yml").read_text()
    text = text.replace("scrape_interval: 15s", "scrape_interval: 1s")
    text = text.replace("/etc/prometheus/digits-metrics-token", str(token_file))
    shipped_targets = "\n".join(f"          - app{n}.internal:8000" for n in (1, 2, 3))
    assert shipped_targets in text
    text = text.replace(shipped_targets, "\n".join(f"          - {t}" for t in targets))
    shutil.copy(SHIPPED / "alerts.yml", folder / "alerts.yml")
    path = folder / "prometheus.yml"
    path.write_text(text)
    return path


def query(port: int, promql: str) -> list[dict]:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)["data"]["result"]


def test_the_shipped_rules_and_scrape_configuration_check(tmp_path):
    output = promtool("check", "rules", str(SHIPPED / "alerts.yml"))
    assert "SUCCESS: 6 rules found" in output
    promtool("check", "config", str(configuration(tmp_path, ["127.0.0.1:8000"])))


def stale_metrics_folder(folder: Path) -> Path:
    """A metrics folder left by an earlier run: 1000 predictions counted, and a file
    of the operator's own."""
    folder.mkdir()
    (folder / "notes.txt").write_text("not a metrics file")
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from prometheus_client import Counter; Counter('recognizer_predictions', 'old', "
            "['model_version', 'digit', 'source']).labels('old', '1', 'api').inc(1000)",
        ],
        env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)},
        check=True,
    )
    assert list(folder.glob("counter_*.db"))
    return folder


def test_prometheus_adds_up_the_predictions_of_two_servers(tmp_path, model_folder):
    """Two servers sharing one SQLite file and one folder of models; the first keeps
    its metrics in a folder of its own, with an earlier run's files."""
    database_url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    folders = {"a": str(stale_metrics_folder(tmp_path / "metrics-a"))}
    with ExitStack() as stack:
        servers = [
            stack.enter_context(
                gunicorn_server(
                    tmp_path,
                    model_folder,
                    database_url,
                    workers=2,
                    threads=2,
                    name=name,
                    METRICS_TOKEN=TOKEN,
                    LOG_FORMAT="json",
                    # One machine's folder of artifacts for both, as a bucket would be.
                    MODEL_DIR=str(tmp_path / "models"),
                    **({"PROMETHEUS_MULTIPROC_DIR": folders[name]} if name in folders else {}),
                )
            )
            for name in ("a", "b")
        ]
        port = free_port()
        config = configuration(tmp_path, [f"127.0.0.1:{server.port}" for server in servers])
        command = [
            tool("prometheus"),
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ]
        stack.enter_context(background(command, tmp_path / "prometheus.log"))
        wait_for(
            lambda: len(query(port, "up == 1")) == 2,
            seconds=60,
            every=0.5,
            what="Prometheus to scrape both servers",
            tolerate=(OSError,),
        )

        bodies = prediction_bodies(PREDICTIONS)
        with ThreadPoolExecutor(4) as pool:
            answers = list(
                pool.map(
                    lambda n: servers[n % 2].request("POST", "/api/predict/", bodies[n]),
                    range(PREDICTIONS),
                )
            )
        assert [status for status, _ in answers] == [201] * PREDICTIONS

        def total() -> float | None:
            result = query(port, "sum(recognizer_predictions_total)")
            return result and float(result[0]["value"][1]) == PREDICTIONS

        wait_for(total, seconds=30, every=0.5, what="the sum of both servers' predictions")
        by_server = query(port, "sum by (instance) (recognizer_predictions_total)")
        assert sorted(float(row["value"][1]) for row in by_server) == [12, 12]
        rules = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/rules"))
        assert len(rules["data"]["groups"][0]["rules"]) == 6

        status, body = servers[0].request("GET", "/metrics")
        assert status == 401 and body["code"] == "not_authenticated"
        # Each server's total came from both its workers, one JSON line per prediction.
        for server in servers:
            lines = [json.loads(line) for line in server.log_lines() if line.startswith("{")]
            predictions = [line for line in lines if "prediction_id" in line]
            assert len(predictions) == PREDICTIONS // 2
            assert all(line["request_id"] != "-" for line in predictions)
            assert len({line["process"] for line in predictions}) == 2
    # Started with the earlier run's counts emptied, the operator's file kept.
    assert (tmp_path / "metrics-a" / "notes.txt").exists()
