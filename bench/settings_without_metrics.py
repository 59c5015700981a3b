"""The project's settings less django-prometheus (its middleware, its database wrapper,
/metrics' requests counted), for `bench/load.py --compare-metrics`' server without
metrics. The app's own counters (a few increments per prediction) stay in both."""

from digitsite.settings import *  # noqa: F403

INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "django_prometheus"]  # noqa: F405
MIDDLEWARE = [name for name in MIDDLEWARE if not name.startswith("django_prometheus.")]  # noqa: F405
DATABASES["default"]["ENGINE"] = DATABASES["default"]["ENGINE"].replace(  # noqa: F405
    "django_prometheus.db.backends.", "django.db.backends.", 1
)
