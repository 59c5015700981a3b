"""Settings for the test suite: the real ones, isolated from local data."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
# The test client and the live server speak plain HTTP.
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

from digitsite.settings import *  # noqa: F403

# Hashed static names need collectstatic; the live server serves plain ones.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
MEDIA_ROOT = tempfile.mkdtemp(prefix="digits-test-media-")
MODEL_DIR = tempfile.mkdtemp(prefix="digits-test-models-")
STORAGES["models"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": MODEL_DIR},
}
# Each test has its own registry rows: look at them on every prediction.
MODEL_RECHECK_SECONDS = 0
# Each process that loads these settings has its own two folders; none outlives it.
for folder in (MEDIA_ROOT, MODEL_DIR):
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {
        f"{scope}_{kind}": "100000/minute"
        for scope in ("predict", "feedback")
        for kind in ("anon", "user")
    },
}
# SQLite in a file, not in memory: worker processes started by the tests
# (`manage.py db_worker`) read and write the same test database.
if DATABASES["default"]["ENGINE"].endswith(".sqlite3"):  # noqa: F405
    TEST_DATABASE_FOLDER = tempfile.mkdtemp(prefix="digits-test-db-")
    atexit.register(shutil.rmtree, TEST_DATABASE_FOLDER, ignore_errors=True)
    DATABASES["default"]["TEST"] = {"NAME": f"{TEST_DATABASE_FOLDER}/test.sqlite3"}  # noqa: F405
