"""Settings for the digits recognizer.

Everything that differs between a laptop and a server comes from the
environment; `.env.example` lists every variable with its default. The
defaults are safe: DEBUG is off unless asked for, and then a SECRET_KEY is
required. `make run` turns DEBUG on for local use.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from recognizer.ml import defaults as ml_defaults

BASE_DIR = Path(__file__).resolve().parent.parent

# One reader of the environment, shared with gunicorn.conf.py. Booleans are
# 1/0, true/false, yes/no or on/off.
env = environ.Env()


def project_path(name: str, default: str) -> Path:
    """A folder from the environment; relative paths are inside the project."""
    return BASE_DIR / env.str(name, default=default)


DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="").strip()
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. For local development "
            "set DEBUG=1 (as `make run` does); in production set SECRET_KEY "
            "to a long random string, for example the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
    SECRET_KEY = "django-insecure-local-development-key-never-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "django_tasks",
    "django_tasks_db",
    "recognizer",
]

MIDDLEWARE = [
    # Counts every request, first and last, so that the latency covers the rest.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "recognizer.middleware.requestlog.RequestLogMiddleware",
    "recognizer.middleware.limits.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "recognizer.middleware.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "recognizer.middleware.database.DatabaseUnavailableMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

# Security headers and cookies. Behind a TLS-terminating proxy set
# TRUST_X_FORWARDED_PROTO=1; serving plain HTTP on purpose (as `make serve`
# does on 127.0.0.1) set SECURE_SSL_REDIRECT=0.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Prometheus scrapes each server directly, on its private address, not
# through the TLS proxy: /metrics answers there without a redirect.
SECURE_REDIRECT_EXEMPT = [r"^metrics$"]
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = env.str(
    "CONTENT_SECURITY_POLICY",
    default="default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'",
)

ROOT_URLCONF = "digitsite.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "digitsite.wsgi.application"

# Database: SQLite in var/ unless DATABASE_URL names another (PostgreSQL).
DATABASES = {
    "default": {
        **env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
        "CONN_MAX_AGE": env.int("DATABASE_CONN_MAX_AGE", default=60),
        "CONN_HEALTH_CHECKS": True,
    }
}
# django-prometheus' wrappers of the same engines count queries and errors.
DATABASES["default"]["ENGINE"] = DATABASES["default"]["ENGINE"].replace(
    "django.db.backends.", "django_prometheus.db.backends.", 1
)
if DATABASES["default"]["ENGINE"].endswith(".sqlite3"):
    # WAL lets readers run beside the single writer; IMMEDIATE transactions
    # take the write lock up front, so concurrent writers queue on the busy
    # timeout instead of failing with "database is locked" on lock upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("SQLITE_TIMEOUT_SECONDS", default=20),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

MEDIA_URL = "/media/"
MEDIA_ROOT = project_path("MEDIA_ROOT", "var/media")

# In development whitenoise serves the source files and rescans them; in
# production the collected, hashed and compressed copies (`collectstatic`).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Trained model artifacts; the recognizer never unpickles anything from elsewhere.
MODEL_DIR = project_path("MODEL_DIR", "var/models")
# Where `--dataset openml:NAME` keeps what it downloads (scikit-learn's fetch_openml cache).
OPENML_DATA_HOME = project_path("OPENML_DATA_HOME", "var/openml")
# How often each process looks which model version is in service.
MODEL_RECHECK_SECONDS = env.float("MODEL_RECHECK_SECONDS", default=1.0)

# Drawings and model artifacts have their own named storages: files under
# MEDIA_ROOT and MODEL_DIR, or with S3_BUCKET an S3-compatible bucket shared
# by every app server (artifacts under models/).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "drawings": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "models": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MODEL_DIR},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
S3_BUCKET = env.str("S3_BUCKET", default="")
if S3_BUCKET:
    # Only where a bucket is used: these are big imports.
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config as BotoConfig

    # Credentials and region come from boto3's own variables
    # (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_S3_REGION_NAME).
    S3_OPTIONS = {
        "bucket_name": S3_BUCKET,
        "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
        "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
        # Our names are unique by construction: no exists-then-write check.
        "file_overwrite": True,
        "querystring_expire": 300,
        "client_config": BotoConfig(
            # Checksum headers that boto3 sends by default are refused by
            # some S3-compatible servers; send them only where S3 needs them.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            connect_timeout=env.int("S3_CONNECT_TIMEOUT_SECONDS", default=3),
            read_timeout=env.int("S3_READ_TIMEOUT_SECONDS", default=10),
            retries={"max_attempts": 2, "mode": "standard"},
        ),
        # A drawing is a few kilobytes: one PUT, without a pool of upload threads.
        "transfer_config": TransferConfig(use_threads=False),
    }
    STORAGES["drawings"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": S3_OPTIONS}
    STORAGES["models"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {**S3_OPTIONS, "location": "models"},
    }


# Training: distorted copies made of each load_digits image (1 trains in
# seconds), the seed that makes a run repeatable, and worker processes (-1:
# every core).
TRAINING_AUGMENTATION_FACTOR = env.int(
    "TRAINING_AUGMENTATION_FACTOR", default=ml_defaults.AUGMENTATION_FACTOR
)
TRAINING_SEED = env.int("TRAINING_SEED", default=0)
TRAINING_JOBS = env.int("TRAINING_JOBS", default=-1)
# How many times each corrected drawing counts when retraining with history.
HISTORY_REPEAT = env.int("HISTORY_REPEAT", default=ml_defaults.HISTORY_REPEAT)

# Jobs (training, rescoring, exports): the database is the queue and
# `manage.py db_worker` the worker, on this machine or any other with the same
# settings. Training has its own queue, for workers on machines that can
# afford it. A running job whose heartbeat is older than JOB_LEASE_SECONDS
# lost its worker: it is queued again once, then failed.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "training"],
    }
}
JOB_LEASE_SECONDS = env.int("JOB_LEASE_SECONDS", default=120)
# Queue a training job after this many labels (0: never on its own).
RETRAIN_AFTER_LABELS = env.int("RETRAIN_AFTER_LABELS", default=0)
# Promote a challenger that is right significantly more often than the model
# in service (McNemar's exact test, p < 0.05) on at least this many drawings
# labelled since it started.
AUTO_PROMOTE = env.bool("AUTO_PROMOTE", default=False)
AUTO_PROMOTE_MIN_LABELLED = env.int("AUTO_PROMOTE_MIN_LABELLED", default=200)

# Limits on what a client may send.
MAX_REQUEST_BYTES = env.int("MAX_REQUEST_BYTES", default=2 * 1024 * 1024)
MAX_IMAGE_BYTES = env.int("MAX_IMAGE_BYTES", default=1536 * 1024)
MAX_IMAGE_SIDE = env.int("MAX_IMAGE_SIDE", default=ml_defaults.MAX_IMAGE_SIDE)
# POST /api/predict/batch/: at most this many drawings, in a body of at most
# this many bytes (a canvas drawing is 5-15 KB as a data URI: a hundred fit
# several times over, while a worker never holds more than this per request).
PREDICT_BATCH_MAX = env.int("PREDICT_BATCH_MAX", default=100)
MAX_BATCH_REQUEST_BYTES = env.int("MAX_BATCH_REQUEST_BYTES", default=8 * 1024 * 1024)
# The middleware applies the limits per path first; Django's own are the outer bound.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(MAX_REQUEST_BYTES, MAX_BATCH_REQUEST_BYTES)
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES
# One file more than a batch may hold, so that the batch's own check says what is wrong.
DATA_UPLOAD_MAX_NUMBER_FILES = PREDICT_BATCH_MAX + 1

# Local memory by default, so throttle limits count per process; REDIS_URL
# makes them count across every process and machine.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            **env.cache_url_config(REDIS_URL),
            "BACKEND": "recognizer.cache.RedisCache",  # Django's, its reads counted
            # A cache that does not answer must not hold requests up.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }

REST_FRAMEWORK = {
    # Load balancers in front: the client is the address they add to
    # X-Forwarded-For. 0 trusts no such header, so no client can pick its own.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "recognizer.api.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "predict_anon": env.str("THROTTLE_PREDICT_ANON_RATE", default="120/minute"),
        "predict_user": env.str("THROTTLE_PREDICT_USER_RATE", default="600/minute"),
        "feedback_anon": env.str("THROTTLE_FEEDBACK_ANON_RATE", default="60/minute"),
        "feedback_user": env.str("THROTTLE_FEEDBACK_USER_RATE", default="600/minute"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Digits recognizer API",
    "DESCRIPTION": (
        "Send a drawing of one handwritten digit and get the model's guess "
        "with the probability of each digit. Every drawing is stored for review."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's files are served from here, not from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The guess and the label share one set of choices: one enum, one name.
    "ENUM_NAME_OVERRIDES": {"DigitEnum": "recognizer.models.DIGIT_CHOICES"},
}

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
# text: one readable line per record; json: one JSON object per line, with
# the request id and a record's extra fields (a prediction's id, model
# version, digit, confidence and duration), for a log collector.
LOG_FORMAT = env.str("LOG_FORMAT", default="text").lower()
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'text' or 'json', not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "recognizer.middleware.requestlog.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s [%(process)d] %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(process)d %(request_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601, UTC
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # runserver's own line per request repeats recognizer.requests' line.
        "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# /metrics answers requests with `Authorization: Bearer METRICS_TOKEN`, and
# none without a token set (with DEBUG on, loopback clients too).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Each process keeps its metrics in files there when it is set (gunicorn.conf.py
# sets it): a folder that is gone (a fresh /run) would fail every command.
if env.str("PROMETHEUS_MULTIPROC_DIR", default=""):
    Path(env.str("PROMETHEUS_MULTIPROC_DIR")).mkdir(parents=True, exist_ok=True)

# Drift: every DRIFT_EVERY minutes (one check at a time across servers) the
# last DRIFT_WINDOW predictions of the model in service are compared with
# what it guessed on its evaluation set.
DRIFT_EVERY = env.int("DRIFT_EVERY", default=15)
DRIFT_WINDOW = env.int("DRIFT_WINDOW", default=1000)
