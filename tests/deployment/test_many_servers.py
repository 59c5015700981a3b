"""Two app servers behind one imaginary load balancer: two gunicorn instances on two
ports, each with its own empty local folders, sharing one PostgreSQL database,
one Redis and one S3-compatible bucket. What one machine does, the other sees.

Needs PostgreSQL (DATABASE_URL); `.ci/run` provides it. The figures are
printed (run with -s to see them).
"""

import base64
import copy
import json
import os
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import psycopg
import pytest
import redis

from recognizer.ml import artifacts
from tests.support.backing import S3_CREDENTIALS, S3_REGION, create_bucket, s3_client
from tests.support.gunicorn import Server, gunicorn_server, prediction_bodies, write_model_folder
from tests.support.processes import manage

pytestmark = pytest.mark.server

STAFF = ("operator", "a-long-test-password")
FEEDBACK_RATE = 6  # a minute, for anonymous clients, counted across both servers


@pytest.fixture
def shared(postgres_database, redis_url, s3_endpoint) -> dict[str, str]:
    """The environment both machines share: database, cache and bucket."""
    bucket = create_bucket(s3_endpoint, f"shared-{uuid.uuid4().hex[:12]}")
    redis.Redis.from_url(redis_url).flushdb()
    return {
        "DATABASE_URL": postgres_database,
        "REDIS_URL": redis_url,
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": s3_endpoint,
        "AWS_S3_REGION_NAME": S3_REGION,
        **S3_CREDENTIALS,
        "THROTTLE_FEEDBACK_ANON_RATE": f"{FEEDBACK_RATE}/minute",
        "DJANGO_SUPERUSER_PASSWORD": STAFF[1],
    }


def basic_auth() -> dict[str, str]:
    token = base64.b64encode(":".join(STAFF).encode()).decode()
    return {"Authorization": f"Basic {token}"}


def a_second_model(tmp_path: Path, training_result) -> str:
    """Another trained version in a folder of artifacts; returns its version."""
    other = copy.deepcopy(training_result.pipeline).set_params(features__min_ink=0.25)
    data = artifacts.serialize(other)
    return write_model_folder(tmp_path / "second-model", data, training_result.metadata)


def test_two_machines_share_drawings_throttles_and_the_model(
    tmp_path, model_folder, training_result, shared, s3_endpoint
):
    def machine(name: str) -> Server:
        return machines.enter_context(
            gunicorn_server(
                tmp_path,
                model_folder,
                shared["DATABASE_URL"],
                workers=2,
                threads=2,
                name=name,
                **shared,
            )
        )

    with ExitStack() as machines:
        a, b = machine("a"), machine("b")
        manage(
            "createsuperuser", "--noinput", "--username", STAFF[0], "--email", "o@x.org", **shared
        )
        through_a = drawing_made_on_a_is_opened_on_b(a, b)
        feedback = throttle_counts_across_both(a, b, through_a)
        delay = activation_on_a_is_served_by_b(tmp_path, training_result, shared, a, b)
        accepted = killing_a_mid_burst_loses_no_drawing(a, b, shared, s3_endpoint)
    print(
        f"\ntwo machines: feedback accepted {feedback.count(200)} of {len(feedback)} "
        f"(limit {FEEDBACK_RATE}) across both; activation on A served by B after "
        f"{delay:.2f} s; {len(accepted)} predictions acknowledged during the burst that killed "
        "A, each with its row and its drawing"
    )


def drawing_made_on_a_is_opened_on_b(a: Server, b: Server) -> dict:
    status, made = a.request("POST", "/api/predict/", prediction_bodies(1)[0])
    assert status == 201, made
    status, detail = b.request("GET", f"/api/predictions/{made['id']}/", headers=basic_auth())
    assert status == 200, detail
    path = "/" + detail["drawing_url"].split("/", 3)[3]
    status, png = b.fetch("GET", path, headers=basic_auth())
    assert (status, png[:8]) == (200, b"\x89PNG\r\n\x1a\n")
    assert not any(a.media_root.rglob("*.png")) and not any(b.media_root.rglob("*.png"))
    return made


def throttle_counts_across_both(a: Server, b: Server, made: dict) -> list[int]:
    body = json.dumps({"label": made["digit"], "token": made["feedback_token"]}).encode()
    path = f"/api/predictions/{made['id']}/feedback/"
    statuses = [server.request("POST", path, body)[0] for server in [a, b] * FEEDBACK_RATE]
    assert statuses.count(200) == FEEDBACK_RATE, statuses
    assert statuses.count(429) == FEEDBACK_RATE, statuses
    return statuses


def activation_on_a_is_served_by_b(tmp_path, training_result, shared, a, b) -> float:
    second = a_second_model(tmp_path, training_result)
    manage("import_models", str(tmp_path / "second-model"), **shared)
    assert b.request("GET", "/api/model/")[1]["version"] != second
    manage("activate_model", second, **{**shared, "MEDIA_ROOT": str(a.media_root)})
    activated = time.monotonic()
    while b.request("GET", "/api/model/")[1]["version"] != second:
        assert time.monotonic() - activated < 2, "B still serves the old model after 2 s"
        time.sleep(0.05)
    delay = time.monotonic() - activated
    status, made = b.request("POST", "/api/predict/", prediction_bodies(1)[0])
    assert (status, made["model_version"]) == (201, second)
    return delay


def killing_a_mid_burst_loses_no_drawing(a, b, shared, s3_endpoint) -> set[int]:
    bodies = prediction_bodies(160, seed=3)
    with ThreadPoolExecutor(2) as load:
        on_a = load.submit(a.try_predict_many, bodies[:120], 6)
        on_b = load.submit(b.try_predict_many, bodies[120:], 2)
        while sum("POST /api/predict/ 201" in line for line in a.log_lines()) < 30:
            time.sleep(0.01)
        os.killpg(a.process.pid, signal.SIGKILL)
        results = on_a.result(timeout=300) + on_b.result(timeout=300)
    accepted = {body["id"] for status, body in results if status == 201}
    assert {status for status, _ in results} <= {201, None}, "only lost connections"
    assert len(accepted) >= 40
    with psycopg.connect(shared["DATABASE_URL"]) as connection:
        rows = dict(connection.execute("SELECT id, drawing FROM recognizer_prediction"))
    stored = {
        entry["Key"]
        for page in s3_client(s3_endpoint)
        .get_paginator("list_objects_v2")
        .paginate(Bucket=shared["S3_BUCKET"], Prefix="drawings/")
        for entry in page.get("Contents", [])
    }
    assert accepted <= set(rows), "every acknowledged drawing has its row"
    assert set(rows.values()) <= stored, "no row without its drawing"
    # A request killed between its file and its row may leave a file alone: allowed.
    assert (
        "Rows without their drawing file: 0"
        in manage("check_history", check=False, **shared).stdout
    )
    return accepted
