"""The app as `make serve` runs it: gunicorn workers and threads, real sockets.

Each test starts its own server in other processes (see tests/server.py), so
these take seconds, not milliseconds; they check behaviour, never speed.
"""

import os
import re
import signal
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.gunicorn import gunicorn_server, prediction_bodies
from tests.support.processes import manage

pytestmark = pytest.mark.server

REQUEST_LINE = re.compile(
    r"\[(?P<pid>\d+)\] recognizer\.requests (?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}) "
    r"(?P<ms>\d+\.\d)ms(?: created \S+/api/predictions/(?P<id>\d+)/)?$"
)
MODEL_LOADED = re.compile(r"\[(?P<pid>\d+)\] recognizer\.registry\.serving model \w+ loaded from ")


@pytest.mark.one_pass  # its server has a SQLite file of its own, whatever the pass
def test_each_worker_loads_the_model_once_whatever_the_number_of_requests(tmp_path, model_folder):
    workers = 3
    database_url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    with gunicorn_server(
        tmp_path, model_folder, database_url, workers=workers, threads=2
    ) as server:
        results = server.predict_many(prediction_bodies(120), concurrency=6)
        assert [status for status, _ in results] == [201] * 120
        readiness = [server.request("GET", "/readyz")[1] for _ in range(30)]
        lines = server.log_lines()

    loaded_by = [int(match["pid"]) for line in lines if (match := MODEL_LOADED.search(line))]
    assert len(loaded_by) == workers, "one load per worker, at its start"
    assert len(set(loaded_by)) == workers

    # Every request was logged, with its latency and the prediction it stored,
    # by a worker that had loaded the model once.
    logged = [match.groupdict() for line in lines if (match := REQUEST_LINE.search(line))]
    predictions = [entry for entry in logged if entry["path"] == "/api/predict/"]
    assert sorted(int(entry["id"]) for entry in predictions) == sorted(
        body["id"] for _, body in results
    )
    assert {entry["status"] for entry in predictions} == {"201"}
    assert {int(entry["pid"]) for entry in logged} <= set(loaded_by)

    # /readyz says the same from inside: whichever worker answers loaded once.
    models = [body["checks"]["model"] for body in readiness]
    assert {model["loads"] for model in models} == {1}
    assert {model["process"] for model in models} <= set(loaded_by)


def sqlite_counts(database: Path) -> tuple[int, list[str]]:
    with sqlite3.connect(database) as connection:
        names = [row[0] for row in connection.execute("SELECT drawing FROM recognizer_prediction")]
    return len(names), names


@pytest.mark.one_pass  # its server has a SQLite file of its own, whatever the pass
def test_four_workers_store_400_concurrent_predictions_in_one_sqlite_file(tmp_path, model_folder):
    database = tmp_path / "db.sqlite3"
    with gunicorn_server(
        tmp_path, model_folder, f"sqlite:///{database}", workers=4, threads=2
    ) as server:
        results = server.predict_many(prediction_bodies(400), concurrency=40)
        media_root = server.media_root

    assert [status for status, _ in results] == [201] * 400, {
        status: body for status, body in results if status != 201
    }
    rows, names = sqlite_counts(database)
    files = sorted(str(path.relative_to(media_root)) for path in media_root.rglob("*.png"))
    assert rows == 400
    assert len({body["id"] for _, body in results}) == 400
    assert sorted(names) == files


def test_four_workers_store_400_concurrent_predictions_in_postgresql(
    tmp_path, model_folder, postgres_database
):
    import psycopg

    with gunicorn_server(tmp_path, model_folder, postgres_database, workers=4, threads=2) as server:
        results = server.predict_many(prediction_bodies(400), concurrency=40)
        media_root = server.media_root

    assert [status for status, _ in results] == [201] * 400
    with psycopg.connect(postgres_database) as connection:
        names = [row[0] for row in connection.execute("SELECT drawing FROM recognizer_prediction")]
    files = sorted(str(path.relative_to(media_root)) for path in media_root.rglob("*.png"))
    assert len(names) == 400
    assert sorted(names) == files


@pytest.mark.one_pass  # its server has a SQLite file of its own, whatever the pass
def test_a_worker_killed_mid_load_loses_no_accepted_drawing(tmp_path, model_folder):
    database = tmp_path / "db.sqlite3"
    database_url = f"sqlite:///{database}"
    bodies = prediction_bodies(240, seed=7)
    with gunicorn_server(tmp_path, model_folder, database_url, workers=2, threads=4) as server:
        workers = [
            int(match["pid"]) for line in server.log_lines() if (match := MODEL_LOADED.search(line))
        ]
        with ThreadPoolExecutor(1) as load:
            running = load.submit(server.try_predict_many, bodies, 8)
            while len(server.log_lines()) < 40:  # well into the run, requests in flight
                time.sleep(0.01)
            os.kill(workers[0], signal.SIGKILL)
            results = running.result(timeout=300)
        media_root = server.media_root

    accepted = {body["id"] for status, body in results if status == 201}
    failed = [status for status, _ in results if status != 201]
    assert accepted, "the load ran"
    # The kill came mid-run: the killed worker had answered, others answered after.
    log = (tmp_path / "server" / "gunicorn.log").read_text()
    assert f"Worker (pid:{workers[0]}) was sent SIGKILL" in log
    assert f"[{workers[0]}] recognizer.requests POST /api/predict/ 201" in log
    assert len(accepted) > 40
    # Requests in flight in the killed worker lose their connection (None);
    # nothing is ever answered with a 500.
    assert set(failed) <= {None, 502, 503}, failed

    # Every 201 has its row and its file.
    with sqlite3.connect(database) as connection:
        rows = dict(connection.execute("SELECT id, drawing FROM recognizer_prediction"))
    assert accepted <= set(rows)
    assert all((media_root / rows[pk]).is_file() for pk in accepted)

    # No row lacks its file; a file without a row (killed between the two
    # writes) is all check_history may find, and --repair removes it.
    environment = {"DATABASE_URL": database_url, "MEDIA_ROOT": str(media_root)}
    report = manage("check_history", check=False, **environment)
    assert "Rows without their drawing file: 0" in report.stdout, report.stdout + report.stderr
    manage("check_history", "--repair", "--grace-seconds", "0", **environment)
    final = manage("check_history", **environment)
    assert final.returncode == 0, final.stdout + final.stderr
    assert "The history is consistent." in final.stdout
    files = {str(path.relative_to(media_root)) for path in media_root.rglob("*.png")}
    with sqlite3.connect(database) as connection:
        names = {row[0] for row in connection.execute("SELECT drawing FROM recognizer_prediction")}
    assert names == files
