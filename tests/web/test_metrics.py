"""GET /metrics: who may read it, what it counts, and the JSON log lines of a prediction."""

import datetime
import io
import json
import logging

import pytest
from django.core.cache import cache
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from pythonjsonlogger.json import JsonFormatter
from rest_framework.test import APIClient

from recognizer.history import services
from recognizer.middleware.requestlog import RequestIdFilter
from recognizer.models import Job, Prediction
from tests.support.canvases import canvas_image, data_uri, one_data_uri, png_bytes
from tests.support.scraping import AUTH, TOKEN, scrape, value

pytestmark = pytest.mark.django_db


def predict(image: str | None = None) -> dict:
    response = APIClient().post("/api/predict/", {"image": image or one_data_uri()}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


class TestWhoMayRead:
    def test_the_token_opens_it_and_it_is_never_cached(self, client, metrics_token):
        response = client.get("/metrics", headers=AUTH)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain")
        assert "no-store" in response["Cache-Control"]
        assert b"# HELP recognizer_predictions_total" in response.content

    @pytest.mark.parametrize(
        "headers",
        [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": f"Basic {TOKEN}"}],
    )
    def test_anything_else_gets_401(self, client, metrics_token, headers):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"
        assert response["WWW-Authenticate"].startswith("Bearer")

    def test_without_a_token_set_nobody_reads_it(self, client, settings):
        settings.METRICS_TOKEN = ""
        response = client.get("/metrics", headers={"Authorization": "Bearer "})
        assert response.status_code == 401
        assert "METRICS_TOKEN" in response.json()["detail"]

    def test_with_debug_on_this_machine_reads_it_without_a_token(self, client, settings):
        settings.METRICS_TOKEN, settings.DEBUG = "", True
        assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
        assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 401


class TestWhatItCounts:
    def test_a_prediction_counts_by_version_digit_and_source(
        self, client, metrics_token, model_in_service
    ):
        before = scrape(client)
        guess = predict()
        after = scrape(client)
        labels = {"model_version": model_in_service.version, "digit": str(guess["digit"])}
        name = "recognizer_predictions_total"
        assert (
            value(after, name, **labels, source="api")
            == value(before, name, **labels, source="api") + 1
        )
        histogram = "recognizer_prediction_confidence_count"
        version = {"model_version": model_in_service.version}
        assert value(after, histogram, **version) == value(before, histogram, **version) + 1
        seconds = "recognizer_prediction_seconds_count"
        assert value(after, seconds) == value(before, seconds) + 1

    def test_a_batch_counts_each_drawing_as_batch(self, client, metrics_token, model_in_service):
        before = scrape(client)
        response = APIClient().post(
            "/api/predict/batch/", {"images": [one_data_uri()] * 3}, format="json"
        )
        assert response.status_code == 201
        digit = str(response.json()["results"][0]["digit"])
        labels = {"model_version": model_in_service.version, "digit": digit, "source": "batch"}
        name = "recognizer_predictions_total"
        assert value(scrape(client), name, **labels) == value(before, name, **labels) + 3

    def test_refused_drawings_count_by_code(self, client, metrics_token):
        before = scrape(client)
        blank = data_uri(png_bytes(canvas_image([])))
        not_an_image = data_uri(b"not a png at all")
        for image in (blank, not_an_image):
            response = APIClient().post("/api/predict/", {"image": image}, format="json")
            assert response.status_code == 400
        after = scrape(client)
        name = "recognizer_rejected_drawings_total"
        for code in ("empty_drawing", "invalid_image"):
            assert value(after, name, code=code) == value(before, name, code=code) + 1

    def test_labels_count_by_whether_the_guess_was_right(self, client, metrics_token):
        before = scrape(client)
        right, wrong = (Prediction.objects.get(pk=predict()["id"]) for _ in range(2))
        services.prediction_label(
            prediction=right, label=right.digit, labeller=Prediction.Labeller.SESSION
        )
        services.prediction_label(
            prediction=wrong, label=(wrong.digit + 1) % 10, labeller=Prediction.Labeller.SESSION
        )
        after = scrape(client)
        name = "recognizer_labels_total"
        assert value(after, name, correct="true") == value(before, name, correct="true") + 1
        assert value(after, name, correct="false") == value(before, name, correct="false") + 1

    def test_the_models_serving_are_named_with_their_role(
        self, client, metrics_token, model_in_service
    ):
        samples = scrape(client)
        assert samples["recognizer_model_info"] == {
            (("role", "in_service"), ("version", model_in_service.version)): 1.0
        }

    def test_jobs_count_by_queue_kind_and_status_with_the_oldest_wait(self, client, metrics_token):
        an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
        for kind, status, created_at in [
            ("train", "queued", an_hour_ago),
            ("train", "running", timezone.now()),
            ("export", "queued", timezone.now()),
            ("rescore", "failed", an_hour_ago),
            ("train", "succeeded", an_hour_ago),
            ("train", "succeeded", an_hour_ago),
        ]:
            Job.objects.create(
                kind=kind, status=status, created_at=created_at, requested_via="tests"
            )
        samples = scrape(client)
        assert value(samples, "recognizer_jobs", queue="training", status="queued") == 1
        assert value(samples, "recognizer_jobs", queue="training", status="running") == 1
        assert value(samples, "recognizer_jobs", queue="default", status="queued") == 1
        finished = "recognizer_jobs_finished_total"
        assert value(samples, finished, kind="train", status="succeeded") == 2
        assert value(samples, finished, kind="rescore", status="failed") == 1
        assert value(samples, finished, kind="export", status="cancelled") == 0
        oldest = value(samples, "recognizer_jobs_oldest_queued_seconds")
        assert 3590 < oldest < 3700

    def test_requests_and_database_queries_are_counted_too(self, client, metrics_token):
        predict()
        samples = scrape(client)
        assert any(
            dict(labels).get("view") == "api:predict"
            for labels in samples["django_http_requests_total_by_view_transport_method_total"]
        )
        assert sum(samples["django_db_execute_total"].values()) > 0

    def test_every_metric_of_the_app_says_what_it_is(self, client, metrics_token):
        text = client.get("/metrics", headers=AUTH).content.decode()
        families = [
            family
            for family in text_string_to_metric_families(text)
            if family.name.startswith("recognizer_")
        ]
        assert {family.name for family in families} >= {
            "recognizer_predictions",
            "recognizer_prediction_confidence",
            "recognizer_prediction_seconds",
            "recognizer_rejected_drawings",
            "recognizer_labels",
            "recognizer_challenger_agreement",
            "recognizer_model_info",
            "recognizer_drift",
            "recognizer_jobs",
            "recognizer_jobs_finished",
            "recognizer_jobs_oldest_queued_seconds",
        }
        assert all(len(family.documentation) > 20 for family in families)


def test_a_prediction_logs_one_json_object_with_its_request_and_guess(model_in_service):
    """LOG_FORMAT=json's formatter: the request id and the prediction's figures."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(
        JsonFormatter(
            "%(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
        )
    )
    loggers = [
        logging.getLogger(name) for name in ("recognizer.history.services", "recognizer.requests")
    ]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        response = APIClient().post("/api/predict/", {"image": one_data_uri()}, format="json")
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    [prediction] = [line for line in lines if line["logger"] == "recognizer.history.services"]
    [request] = [line for line in lines if line["logger"] == "recognizer.requests"]
    body = response.json()
    assert prediction["request_id"] == request["request_id"] == response["X-Request-ID"]
    assert prediction["prediction_id"] == body["id"]
    assert prediction["model_version"] == model_in_service.version
    assert prediction["digit"] == body["digit"]
    assert prediction["confidence"] == pytest.approx(body["confidence"], abs=1e-3)
    assert prediction["duration_ms"] > 0 and prediction["level"] == "INFO"
    assert request["status"] == 201 and request["path"] == "/api/predict/"
    assert prediction["time"].endswith("+00:00")


def test_a_request_id_sent_by_the_proxy_is_kept(client):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-0123456789abcdef"})
    assert response["X-Request-ID"] == "lb-0123456789abcdef"
    odd = client.get("/healthz", headers={"X-Request-ID": "not ok <script>"})
    assert odd["X-Request-ID"] != "not ok <script>" and len(odd["X-Request-ID"]) == 32


def test_the_shared_cache_counts_its_hits_and_misses(client, metrics_token, settings, redis_url):
    settings.CACHES = {"default": {"BACKEND": "recognizer.cache.RedisCache", "LOCATION": redis_url}}
    before = scrape(client)
    cache.set("metrics-test", 0)
    assert cache.get("metrics-test", "default") == 0  # a stored falsy value is a hit
    assert cache.get("metrics-test-missing", "default") == "default"
    after = scrape(client)
    for name in ("django_cache_get_hits_total", "django_cache_get_misses_total"):
        assert value(after, name, backend="redis") == value(before, name, backend="redis") + 1
    cache.delete("metrics-test")
