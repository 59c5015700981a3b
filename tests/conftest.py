import copy
import fcntl
import uuid
from collections.abc import Iterator
from pathlib import Path

import joblib
import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db.models import Q
from rest_framework.test import APIClient

from recognizer.api.throttling import ClientRateThrottle
from recognizer.ml import artifacts, training
from recognizer.models import ModelActivation, ModelVersion
from recognizer.registry import services as registry
from recognizer.training import services as training_services
from tests.support.backing import create_bucket, redis_server, s3_server, s3_storage_options
from tests.support.gunicorn import write_model_folder
from tests.support.scraping import TOKEN


@pytest.fixture(scope="session")
def training_result(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> training.TrainingResult:
    """A model trained once for the whole run in the fast setting (seconds; the full one
    takes minutes: tests/ml/test_recognition.py trains it). The first test process to
    need it trains it; the others of the run (pytest-xdist's) read it."""
    if worker_id == "master":  # one process: nothing to share
        return training.train(n_jobs=1, **training.FAST_OPTIONS)
    # The run's own folder (each process has one inside it).
    shared = tmp_path_factory.getbasetemp().parent / "fast-training.joblib"
    with shared.with_suffix(".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if shared.exists():
            return joblib.load(shared)
        result = training.train(n_jobs=1, **training.FAST_OPTIONS)
        joblib.dump(result, shared)
        return result


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


DATABASE_FIXTURES = {"db", "transactional_db", "live_server", "django_db_setup"}


def uses_database(item: pytest.Item) -> bool:
    """Whether a test touches the database (or a server that does)."""
    return (
        item.get_closest_marker("django_db") is not None
        or item.get_closest_marker("server") is not None
        or bool(DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())))
    )


# The folders whose tests take longest (real servers, workers, trainings, a browser),
# longest first: started first, they run beside the many short ones, and the run does
# not end waiting for one of them.
SLOWEST_FIRST = ["deployment", "jobs", "training", "management", "e2e", "monitoring", "web"]


def run_order(item: pytest.Item) -> tuple[int, int]:
    """Return where a test comes in the run: the full training, then the slow folders."""
    folder = item.path.parent.name
    slow = SLOWEST_FIRST.index(folder) if folder in SLOWEST_FIRST else len(SLOWEST_FIRST)
    return (item.get_closest_marker("full_training") is None, slow)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that touch the database (the PostgreSQL pass runs those only), and
    order the run: longest first, so that several processes end together."""
    for item in items:
        if uses_database(item):
            item.add_marker(pytest.mark.database)
    items.sort(key=run_order)


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
    if not uses_database(request.node):
        return None
    request.getfixturevalue("transactional_db" if "live_server" in request.fixturenames else "db")
    return register(trained_artifact, training_result.metadata)


@pytest.fixture
def cheap_full_training(monkeypatch) -> None:
    """A training without --fast made as cheap as a quick one, for tests whose subject
    is what happens around a full training (make run's take-over), not the model it
    makes: it is still recorded as a full one."""
    options = training_services.training_options

    def cheap(*, fast: bool, factor: int | None, history_repeat: int | None) -> dict:
        quick = options(fast=True, factor=factor, history_repeat=history_repeat)
        return quick if fast else {**quick, "factor": 0}  # another model than the quick one

    monkeypatch.setattr(training_services, "training_options", cheap)


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
    """Django's test client, logged in as the reviewer (the admin's pages)."""
    client.force_login(staff_user)
    return client


@pytest.fixture
def api() -> APIClient:
    """DRF's test client, as an anonymous caller of the API (a script, a page)."""
    return APIClient()


@pytest.fixture
def staff_api(staff_user) -> APIClient:
    """DRF's test client, authenticated as the reviewer."""
    client = APIClient()
    client.force_authenticate(staff_user)
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
