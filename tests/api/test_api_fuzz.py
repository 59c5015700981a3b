"""Fuzz the whole API from its own OpenAPI document (schemathesis, bounded)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.canvases import ONE, SEVEN, ZERO, drawing_data_uri

SCHEMATHESIS = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")


@pytest.mark.django_db(transaction=True)
@pytest.mark.one_pass  # the contract of the API, whatever the database
def test_no_server_error_and_every_response_matches_the_schema(
    live_server, staff_user, tmp_path, api
):
    for strokes in (ONE, ZERO, SEVEN):  # something for the history and detail operations
        response = api.post("/api/predict/", {"image": drawing_data_uri(strokes)}, format="json")
        assert response.status_code == 201, response.content

    result = subprocess.run(
        [
            SCHEMATHESIS,
            "run",
            f"{live_server.url}/api/schema/",
            "--auth",
            "reviewer:a-long-test-password",
            "--checks",
            "all",
            # A schema cannot say "a PNG of a digit": a schema-valid string may
            # rightly be refused, so that one check cannot apply.
            "--exclude-checks",
            "positive_data_acceptance",
            "--max-examples",
            "12",
            "--seed",
            "20261125",
            "--workers",
            "1",
            "--generation-database",
            "none",
            "--no-color",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
