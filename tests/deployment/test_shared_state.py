"""What many app servers share: the throttle counts in Redis, the drawings in an
S3-compatible bucket, the client's address from the load balancer. Real servers."""

import base64
import io
import logging
from datetime import timedelta
from unittest import mock

import pytest
import redis
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from recognizer.history import selectors, services
from recognizer.history.drawings import drawing_ink
from recognizer.models import Prediction
from recognizer.training import sets as training_sets
from tests.support.answers import assert_error, assert_nothing_stored
from tests.support.backing import s3_client, s3_storage_options
from tests.support.canvases import one_data_uri

# What is shared here is Redis and the bucket: not run again on PostgreSQL.
pytestmark = [pytest.mark.django_db, pytest.mark.one_pass]

PREDICT = "/api/predict/"


def predict(client: APIClient, **headers: str) -> int:
    return client.post(PREDICT, {"image": one_data_uri()}, format="json", headers=headers)


class TestThrottlingInRedis:
    def test_the_counts_live_in_redis(self, redis_cache, low_rates):
        statuses = [predict(APIClient()).status_code for _ in range(3)]
        assert statuses == [201, 201, 429]
        keys = [key.decode() for key in redis.Redis.from_url(redis_cache).keys("*throttle*")]
        assert any("predict_anon" in key for key in keys), keys

    def test_redis_down_fails_open_with_a_log_line(self, low_rates, caplog):
        unreachable = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
                "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
            }
        }
        with (
            override_settings(CACHES=unreachable),
            caplog.at_level(logging.WARNING, logger="recognizer.api.throttling"),
        ):
            statuses = [predict(APIClient()).status_code for _ in range(3)]
            ready = APIClient().get("/readyz")
        assert statuses == [201] * 3
        assert Prediction.objects.count() == 3
        assert "not throttling predict_anon: the cache is unavailable" in caplog.text
        # Still ready (a load balancer must not take every machine out), but degraded.
        assert (ready.status_code, ready.json()["status"]) == (200, "degraded")
        checks = ready.json()["checks"]
        assert checks["cache"]["status"] == "error"
        assert checks["database"]["status"] == checks["model"]["status"] == "ok"


class TestClientAddresses:
    def test_behind_one_proxy_clients_are_told_apart_by_x_forwarded_for(self, settings, low_rates):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
        first = [predict(APIClient(), X_Forwarded_For="203.0.113.7").status_code for _ in range(3)]
        other = predict(APIClient(), X_Forwarded_For="203.0.113.8").status_code
        assert (first, other) == ([201, 201, 429], 201)

    def test_without_proxies_a_client_cannot_pick_its_own_address(self, low_rates):
        statuses = [
            predict(APIClient(), X_Forwarded_For=f"198.51.100.{n}").status_code for n in range(3)
        ]
        assert statuses == [201, 201, 429]


class TestDrawingsInABucket:
    def test_a_prediction_stores_its_drawing_in_the_bucket(self, s3_drawings, s3_endpoint):
        answer = predict(APIClient()).json()
        name = Prediction.objects.get(pk=answer["id"]).drawing.name
        stored = s3_client(s3_endpoint).get_object(Bucket=s3_drawings, Key=name)["Body"].read()
        assert Image.open(io.BytesIO(stored)).size == (280, 280)

    def test_staff_open_the_drawing_through_the_site(self, s3_drawings, staff_client):
        answer = predict(APIClient()).json()
        detail = staff_client.get(f"/api/predictions/{answer['id']}/").json()
        assert detail["drawing_url"].startswith("http://testserver/media/drawings/")
        response = staff_client.get(detail["drawing_url"])
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert Image.open(io.BytesIO(b"".join(response.streaming_content))).mode == "L"

    def test_retraining_reads_the_drawings_from_the_bucket(self, s3_drawings):
        answer = predict(APIClient()).json()
        Prediction.objects.filter(pk=answer["id"]).update(label=1)
        training, held_out = selectors.labelled_drawings()
        images, labels, skipped = training_sets.history_images(training + held_out)
        assert (len(images), labels, skipped) == (1, [1], 0)
        # The drawing read back from the bucket decodes as the upload did.
        upload = base64.b64decode(one_data_uri().partition(",")[2])
        assert images[0].shape == drawing_ink(upload).shape

    def test_orphans_are_found_and_repaired_in_the_bucket(self, s3_drawings, s3_endpoint):
        kept, lost = (predict(APIClient()).json()["id"] for _ in range(2))
        client = s3_client(s3_endpoint)
        client.delete_object(Bucket=s3_drawings, Key=Prediction.objects.get(pk=lost).drawing.name)
        client.put_object(Bucket=s3_drawings, Key="drawings/2020/01/01/orphan.png", Body=b"png")
        orphans = selectors.orphans_find()
        assert orphans.rows_without_files == [lost]
        assert orphans.files_without_rows == ["drawings/2020/01/01/orphan.png"]
        services.orphans_repair(orphans=orphans, grace=timedelta(0))
        assert list(Prediction.objects.values_list("pk", flat=True)) == [kept]
        assert selectors.orphans_find() == selectors.Orphans([], [])

    def test_pruning_deletes_the_objects(
        self, s3_drawings, s3_endpoint, django_capture_on_commit_callbacks
    ):
        predict(APIClient())
        Prediction.objects.update(created_at=timezone.now() - timedelta(days=40))
        with django_capture_on_commit_callbacks(execute=True):
            call_command("prune_history", "--older-than", "30", stdout=io.StringIO())
        assert Prediction.objects.count() == 0
        assert s3_client(s3_endpoint).list_objects_v2(Bucket=s3_drawings).get("KeyCount") == 0

    def test_an_unreachable_bucket_is_503_and_stores_nothing(self, settings, s3_drawings):
        settings.STORAGES = {
            **settings.STORAGES,
            "drawings": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": s3_storage_options("http://127.0.0.1:9", s3_drawings),
            },
        }
        response = predict(APIClient())
        assert_error(response, 503, "storage_unavailable")
        assert response["Retry-After"]
        assert_nothing_stored()
        checks = APIClient().get("/readyz").json()["checks"]
        assert checks["storage"]["status"] == "error"

    def test_a_bucket_failing_after_the_write_leaves_no_row(self, s3_drawings, s3_endpoint):
        row = Prediction(created_at=timezone.now(), **ROW)
        with (
            mock.patch.object(Prediction.objects, "bulk_create", side_effect=RuntimeError),
            pytest.raises(RuntimeError),
        ):
            services.predictions_store(predictions=[row], pngs=[b"png"])
        assert s3_client(s3_endpoint).list_objects_v2(Bucket=s3_drawings).get("KeyCount") == 0


ROW = {
    "features": [0] * 64,
    "digit": 1,
    "confidence": 1.0,
    "probabilities": [0.0, 1.0] + [0.0] * 8,
    "model_version": "abcdefabcdef",
}
