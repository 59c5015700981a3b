import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from django.contrib.auth.models import Permission
from django.core.cache import cache

from recognizer.api.throttling import ClientRateThrottle
from recognizer.ml import artifacts, training
from recognizer.model_service import get_model_service
from tests.backing import create_bucket, redis_server, s3_server, s3_storage_options


@pytest.fixture(scope="session")
def training_result() -> training.TrainingResult:
    """A model trained once for the whole run, in the fast setting (seconds,
    not the minute and a half of the full one; tests/test_recognition.py
    trains that)."""
    return training.train(n_jobs=1, **training.FAST_OPTIONS)


@pytest.fixture(scope="session")
def trained_model_dir(
    tmp_path_factory: pytest.TempPathFactory, training_result: training.TrainingResult
) -> Path:
    """A model directory with the trained model in service."""
    directory = tmp_path_factory.mktemp("models")
    artifact = artifacts.save_artifact(
        training_result.pipeline, training_result.metadata, directory
    )
    artifacts.activate(directory, artifact.version)
    return directory


@pytest.fixture(autouse=True)
def isolated_files(settings, tmp_path: Path, trained_model_dir: Path) -> None:
    """Every test stores drawings in its own folder and uses the trained model."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MODEL_DIR = str(trained_model_dir)


@contextmanager
def own_model_dir(settings, source: Path, directory: Path) -> Iterator[Path]:
    """A copy of ``source`` in service, which the test may change: a new
    activation is noticed at once instead of within a second."""
    shutil.copytree(source, directory)
    settings.MODEL_DIR = str(directory)
    service = get_model_service()
    original = service.recheck_seconds
    service.recheck_seconds = 0
    try:
        yield directory
    finally:
        service.recheck_seconds = original


@pytest.fixture
def model_dir(settings, tmp_path: Path, trained_model_dir: Path) -> Iterator[Path]:
    """A model directory of this test's own, with the trained model in service."""
    with own_model_dir(settings, trained_model_dir, tmp_path / "models") as directory:
        yield directory


@pytest.fixture
def no_model(settings, tmp_path: Path) -> Path:
    """An empty model directory in service: as on a fresh clone before training."""
    directory = tmp_path / "no-models"
    directory.mkdir()
    settings.MODEL_DIR = str(directory)
    return directory


@pytest.fixture
def staff_user(django_user_model):
    """A reviewer: staff, allowed to view, change and delete predictions."""
    user = django_user_model.objects.create_user(
        "reviewer", "reviewer@example.com", "a-long-test-password", is_staff=True
    )
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="recognizer"))
    return user


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis server for this run (Debian's redis-server)."""
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def redis_cache(settings, redis_url: str) -> Iterator[str]:
    """Django's cache on the Redis server, emptied after the test."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    yield redis_url
    redis.Redis.from_url(redis_url).flushdb()


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real S3-compatible server for this run (moto in server mode)."""
    with s3_server(tmp_path_factory.mktemp("s3")) as endpoint:
        yield endpoint


@pytest.fixture
def s3_drawings(settings, s3_endpoint: str) -> str:
    """Drawings stored in a bucket of this test's own; returns the bucket's name."""
    bucket = create_bucket(s3_endpoint, f"drawings-{uuid.uuid4().hex[:12]}")
    settings.STORAGES = {
        **settings.STORAGES,
        "drawings": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_storage_options(s3_endpoint, bucket),
        },
    }
    return bucket


@pytest.fixture
def low_rates(monkeypatch):
    """Anonymous clients: two predictions and two corrections a minute; users: three.

    (DRF reads the rates once, at import.)
    """
    monkeypatch.setattr(
        ClientRateThrottle,
        "THROTTLE_RATES",
        {
            "predict_anon": "2/minute",
            "feedback_anon": "2/minute",
            "predict_user": "3/minute",
            "feedback_user": "3/minute",
        },
    )
    cache.clear()
    yield
    cache.clear()
