import copy
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db.models import Q

from recognizer.api.throttling import ClientRateThrottle
from recognizer.ml import artifacts, training
from recognizer.models import ModelActivation, ModelVersion
from recognizer.registry import services as registry
from tests.support.backing import create_bucket, redis_server, s3_server, s3_storage_options
from tests.support.gunicorn import write_model_folder
from tests.support.scraping import TOKEN


@pytest.fixture(scope="session")
def training_result() -> training.TrainingResult:
    """A model trained once for the whole run, in the fast setting (seconds,
    not the minute and a half of the full one; tests/test_recognition.py
    trains that)."""
    return training.train(n_jobs=1, **training.FAST_OPTIONS)


@pytest.fixture(scope="session")
def trained_artifact(training_result: training.TrainingResult) -> bytes:
    """The trained model as artifact bytes, pickled once for the run."""
    return artifacts.serialize(training_result.pipeline)


@pytest.fixture(scope="session")
def model_folder(
    tmp_path_factory: pytest.TempPathFactory,
    training_result: training.TrainingResult,
    trained_artifact: bytes,
) -> Path:
    """The trained model as a folder of artifacts, for servers in other processes."""
    folder = tmp_path_factory.mktemp("model-folder")
    write_model_folder(folder, trained_artifact, training_result.metadata)
    return folder


def register(data: bytes, metadata: dict, *, active: bool = True) -> ModelVersion:
    """Register an artifact in the model registry (and put it in service)."""
    model_version = registry.model_version_store(data=data, metadata=metadata, trained_by="tests")
    if active:
        registry.model_version_activate(version=model_version.version, via="tests")
    return model_version


def uses_database(request: pytest.FixtureRequest) -> bool:
    return request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    )


@pytest.fixture(autouse=True)
def model_in_service(
    request: pytest.FixtureRequest,
    settings,
    tmp_path: Path,
    training_result: training.TrainingResult,
    trained_artifact: bytes,
) -> ModelVersion | None:
    """Every test stores drawings and models in folders of its own; those with a
    database have the trained model registered and in service."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "models": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "models")},
        },
    }
    if not uses_database(request):
        return None
    request.getfixturevalue("transactional_db" if "live_server" in request.fixturenames else "db")
    return register(trained_artifact, training_result.metadata)


@pytest.fixture
def other_version(training_result: training.TrainingResult) -> ModelVersion:
    """A second version, registered and not in service, that guesses a little differently."""
    other = copy.deepcopy(training_result.pipeline).set_params(features__min_ink=0.25)
    return register(artifacts.serialize(other), training_result.metadata, active=False)


@pytest.fixture
def no_model(model_in_service: ModelVersion | None) -> None:
    """No model in service: as on a fresh clone before training."""
    ModelActivation.objects.all().delete()
    ModelVersion.objects.all().delete()


@pytest.fixture
def staff_user(django_user_model):
    """A reviewer: staff, allowed to view, change and delete predictions and to
    see the model versions (not to change the one in service)."""
    user = django_user_model.objects.create_user(
        "reviewer", "reviewer@example.com", "a-long-test-password", is_staff=True
    )
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="recognizer").filter(
            Q(content_type__model="prediction") | Q(codename__startswith="view_")
        )
    )
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


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database beside the test run's, dropped afterwards."""
    import psycopg

    default = settings.DATABASES["default"]
    if not default["ENGINE"].endswith(".postgresql"):
        pytest.skip("the test run is on SQLite; set DATABASE_URL to a PostgreSQL server")
    name = f"digits_gunicorn_{uuid.uuid4().hex[:12]}"
    params = {
        "host": default["HOST"],
        "port": default["PORT"] or 5432,
        "user": default["USER"],
        "password": default["PASSWORD"],
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**params) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    auth = default["USER"] + (f":{default['PASSWORD']}" if default["PASSWORD"] else "")
    yield f"postgres://{auth}@{default['HOST']}:{params['port']}/{name}"
    with psycopg.connect(**params) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def metrics_token(settings) -> str:
    """/metrics opened to the tests' bearer token."""
    settings.METRICS_TOKEN = TOKEN
    return TOKEN
