"""Time the admin's prediction list on a large history, and show its query plans.

Runs in-process through Django's test client, with production settings
(DEBUG off unless set) and the database named by DATABASE_URL, logged in as
a superuser that it creates if there is none. For each page,
the default list, each filter, the review queue, the model versions and
the statistics, it prints the median and slowest time of
several requests, the number of queries, and the slowest query; with
--explain, that query's plan.

    DEBUG=1 DATABASE_URL=sqlite:////tmp/big.sqlite3 .venv/bin/python manage.py \\
        generate_demo_history --count 1000000
    DATABASE_URL=sqlite:////tmp/big.sqlite3 .venv/bin/python bench/admin_pages.py

Figures are the server's time to build the page (queries, templates), not
the browser's; run them on a quiet machine.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digitsite.settings")
os.environ.setdefault("SECRET_KEY", "admin-bench-only-not-secret")  # in-process, never served
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")  # the test client speaks plain HTTP

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Max  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from recognizer.models import Prediction  # noqa: E402

LIST = "/admin/recognizer/prediction/"
QUEUE = "/admin/recognizer/predictiontoreview/"


def pages() -> list[tuple[str, str]]:
    """Return (name, address) of each admin page timed."""
    latest = Prediction.objects.aggregate(latest=Max("created_at"))["latest"]
    version = (
        Prediction.objects.order_by("model_version").values_list("model_version", flat=True).first()
    )
    month = f"created_at__year={latest.year}&created_at__month={latest.month}"
    first_id = Prediction.objects.order_by("id").values_list("id", flat=True)[0]
    return [
        ("default sort", LIST),
        ("page 2", f"{LIST}?p=2"),
        ("page 200", f"{LIST}?p=200"),
        ("sorted by confidence", f"{LIST}?o=4"),
        ("guess = 3", f"{LIST}?digit__exact=3"),
        ("label = 3", f"{LIST}?label__exact=3"),
        ("label empty", f"{LIST}?label__isnull=True"),
        ("right", f"{LIST}?correct=yes"),
        ("wrong", f"{LIST}?correct=no"),
        ("not labelled", f"{LIST}?correct=unknown"),
        ("model version", f"{LIST}?model_version={version}"),
        ("source = api", f"{LIST}?source__exact=api"),
        ("source = page", f"{LIST}?source__exact=page"),
        ("year", f"{LIST}?created_at__year={latest.year}"),
        ("month", f"{LIST}?{month}"),
        ("day", f"{LIST}?{month}&created_at__day={latest.day}"),
        ("wrong, in a month", f"{LIST}?correct=no&{month}"),
        ("guess = 3, label = 5", f"{LIST}?digit__exact=3&label__exact=5"),
        ("search an id", f"{LIST}?q={first_id}"),
        ("search a version", f"{LIST}?q={version}"),
        ("challenger disagrees", f"{LIST}?challenger=disagree"),
        ("to review", QUEUE),
        ("to review, page 20", f"{QUEUE}?p=20"),
        ("model versions", "/admin/recognizer/modelversion/"),
        ("statistics", f"{LIST}statistics/"),
    ]


# Static file URLs without collectstatic's manifest: the pages' HTML is what is timed.
@override_settings(
    STORAGES={
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
)
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed requests per page")
    parser.add_argument("--explain", action="store_true", help="print the slowest query's plan")
    parser.add_argument("--only", help="only the pages whose name contains this")
    options = parser.parse_args()

    total = Prediction.objects.count()
    print(
        f"{total} predictions in {connection.vendor} "
        f"({settings.DATABASES['default']['NAME']}); {options.repeat} requests per page"
    )
    user = get_user_model().objects.filter(is_superuser=True).first()
    if user is None:
        user = get_user_model().objects.create_superuser("bench-admin", "", "bench-admin")
    client = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0])
    client.force_login(user)

    print(f"\n{'page':24s} {'median ms':>9s} {'max ms':>7s} {'queries':>7s}  slowest query (ms)")
    for name, address in pages():
        if options.only and options.only not in name:
            continue
        response = client.get(address)  # warm-up, and the check
        assert response.status_code == 200, (name, response.status_code)
        times = []
        for _ in range(options.repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                client.get(address)
                times.append((time.perf_counter() - started) * 1000)
        slowest = max(queries.captured_queries, key=lambda q: float(q["time"]))
        print(
            f"{name:24s} {statistics.median(times):9.0f} {max(times):7.0f} "
            f"{len(queries.captured_queries):7d}  {float(slowest['time']) * 1000:5.0f} "
            f"{slowest['sql'][:110]}"
        )
        if options.explain:
            with connection.cursor() as cursor:
                cursor.execute(
                    ("EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ")
                    + slowest["sql"]
                )
                for row in cursor.fetchall():
                    print(f"{'':26s}{' '.join(str(value) for value in row)}")


if __name__ == "__main__":
    main()
