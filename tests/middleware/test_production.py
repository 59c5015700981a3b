"""What `make serve` relies on: its configuration, the request log, stored PNGs."""

import importlib.util
import io
import logging
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from django.core.files.storage import InMemoryStorage
from PIL import Image
from rest_framework.test import APIClient

from recognizer.history.drawings import drawing_png
from recognizer.ml import decoding, synthetic
from recognizer.models import Prediction
from recognizer.storage import drawing_storage
from tests.support.canvases import ONE, ZERO, canvas_image, one_data_uri, png_bytes
from tests.support.processes import PROJECT


def load_gunicorn_config(monkeypatch, **environment: str) -> object:
    for name in (
        *("HOST", "PORT", "LOG_LEVEL"),
        *("WEB_WORKERS", "WEB_THREADS", "WEB_TIMEOUT", "WEB_KEEPALIVE", "WEB_PRELOAD"),
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    # The file sets it for the server it configures: undone after the test, or every
    # later test in this process would read metrics as a gunicorn worker does.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", environment.get("PROMETHEUS_MULTIPROC_DIR", ""))
    spec = importlib.util.spec_from_file_location("gunicorn_conf", PROJECT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestGunicornConfig:
    def test_defaults_suit_two_cores_on_localhost(self, monkeypatch):
        config = load_gunicorn_config(monkeypatch)
        assert config.bind == ["127.0.0.1:8000"]
        assert (config.worker_class, config.workers, config.threads) == ("gthread", 2, 2)
        assert config.control_socket_disable is True
        assert config.preload_app is True
        assert (config.timeout, config.keepalive) == (30, 0)
        assert config.accesslog is None  # the app logs each request itself

    def test_everything_comes_from_the_environment(self, monkeypatch):
        config = load_gunicorn_config(
            monkeypatch,
            HOST="0.0.0.0",
            PORT="8105",
            WEB_WORKERS="3",
            WEB_THREADS="8",
            WEB_PRELOAD="0",
            WEB_TIMEOUT="60",
            WEB_KEEPALIVE="5",
            LOG_LEVEL="WARNING",
        )
        assert config.bind == ["0.0.0.0:8105"]
        assert (config.workers, config.threads) == (3, 8)
        assert (config.timeout, config.keepalive) == (60, 5)
        assert config.preload_app is False
        assert config.loglevel == "warning"

    def test_an_ipv6_host_is_bracketed(self, monkeypatch):
        assert load_gunicorn_config(monkeypatch, HOST="::1").bind == ["[::1]:8000"]


def test_make_serve_without_a_secret_key_says_what_to_do():
    env = {key: value for key, value in os.environ.items() if key != "SECRET_KEY"}
    result = subprocess.run(
        ["make", "--no-print-directory", "serve"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "secrets.token_urlsafe" in result.stderr
    assert "gunicorn" not in result.stdout  # nothing was started


@pytest.mark.django_db
class TestRequestLog:
    def test_a_prediction_is_logged_with_its_status_latency_and_location(self, caplog):
        with caplog.at_level(logging.INFO, logger="recognizer.requests"):
            body = (
                APIClient().post("/api/predict/", {"image": one_data_uri()}, format="json").json()
            )
        [record] = [r for r in caplog.records if r.name == "recognizer.requests"]
        assert record.levelno == logging.INFO
        method, path, status, latency, created, location = record.getMessage().split()
        assert (method, path, status) == ("POST", "/api/predict/", "201")
        assert latency.endswith("ms") and float(latency[:-2]) > 0
        assert (created, location) == (
            "created",
            f"http://testserver/api/predictions/{body['id']}/",
        )

    def test_other_requests_are_logged_without_an_id_and_without_the_query(self, client, caplog):
        with caplog.at_level(logging.INFO, logger="recognizer.requests"):
            client.get("/healthz?token=secret")
            client.post("/api/predict/", {"image": "nope"}, content_type="application/json")
        messages = [r.getMessage() for r in caplog.records if r.name == "recognizer.requests"]
        assert len(messages) == 2
        assert messages[0].startswith("GET /healthz 200 ")
        assert messages[1].startswith("POST /api/predict/ 400 ")
        assert not any("created" in m or "secret" in m for m in messages)

    def test_a_higher_log_level_silences_it(self, client, caplog):
        with caplog.at_level(logging.WARNING, logger="recognizer.requests"):
            client.get("/healthz")
        assert not [r for r in caplog.records if r.name == "recognizer.requests"]


class TestStoredPng:
    @pytest.mark.parametrize("strokes", [ONE, ZERO], ids=["one", "zero"])
    def test_the_stored_png_is_the_greyscale_drawing_pixel_for_pixel(self, strokes):
        drawing = decoding.decode_drawing(png_bytes(canvas_image(strokes)), max_side=2048)
        data = drawing_png(drawing.image)
        stored = Image.open(io.BytesIO(data))
        stored.load()
        assert (stored.format, stored.mode, stored.size) == ("PNG", "L", (280, 280))
        assert np.array_equal(np.asarray(stored), np.asarray(drawing.image))

    def test_drawings_are_stored_compactly(self):
        rng = np.random.default_rng(1)
        sizes = []
        for index in range(20):
            grey = decoding.to_grey(synthetic.synthetic_drawing(index % 10, rng))
            sizes.append(len(drawing_png(grey)))
        # 280x280 grey pixels are 78 KB raw; strokes on white deflate well.
        assert max(sizes) < 8000

    def test_other_modes_are_stored_as_greyscale(self):
        image = Image.new("RGB", (30, 20), "white")
        stored = Image.open(io.BytesIO(drawing_png(image)))
        assert (stored.mode, stored.size) == ("L", (30, 20))


@pytest.mark.django_db
def test_drawings_go_to_the_storage_named_drawings(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "drawings": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    answer = APIClient().post("/api/predict/", {"image": one_data_uri()}, format="json").json()
    prediction = Prediction.objects.get(pk=answer["id"])
    assert isinstance(drawing_storage(), InMemoryStorage)
    with prediction.drawing.open("rb") as stored:
        assert Image.open(stored).size == (280, 280)
    assert not any(Path(settings.MEDIA_ROOT).rglob("*.png"))


@pytest.mark.django_db
def test_readyz_tells_which_process_answered_and_how_often_it_loaded_a_model(client):
    model = client.get("/readyz").json()["checks"]["model"]
    assert model["process"] == os.getpid()
    assert isinstance(model["loads"], int) and model["loads"] >= 1
