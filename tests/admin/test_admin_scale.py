"""The admin list's shortcuts for large histories give what Django's own queries give."""

import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.models import Max, Min
from django.test.utils import CaptureQueriesContext

from recognizer.admin.scale import DateHierarchyQuerySet, distinct_values
from recognizer.history import selectors
from recognizer.models import Prediction
from tests.support.factories import prediction_make

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/recognizer/prediction/"

MOMENTS = [
    datetime(2024, 12, 31, 23, 30, tzinfo=UTC),  # already 2025 in Paris
    datetime(2025, 1, 1, 0, 30, tzinfo=UTC),
    datetime(2025, 3, 30, 0, 30, tzinfo=UTC),  # the night clocks change in Europe
    datetime(2025, 3, 30, 23, 59, tzinfo=UTC),
    datetime(2025, 10, 26, 1, 30, tzinfo=UTC),
    datetime(2026, 2, 28, 12, 0, tzinfo=UTC),
    datetime(2026, 2, 28, 13, 0, tzinfo=UTC),
]


@pytest.fixture
def spread() -> list[Prediction]:
    rows = []
    for index, moment in enumerate(MOMENTS):
        rows.append(
            prediction_make(
                created_at=moment,
                digit=index % 3,
                confidence=1.0,
                model_version=["aaaaaaaaaaaa", "bbbbbbbbbbbb", "000000000001"][index % 3],
                label=index % 2 if index % 3 else None,
            )
        )
    return rows


def fast(queryset):
    return DateHierarchyQuerySet(queryset.model, query=queryset.query.chain(), using=queryset.db)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/New_York"])
@pytest.mark.parametrize("kind", ["year", "month", "day"])
@pytest.mark.parametrize(
    "filters",
    [{}, {"digit": 1}, {"created_at__year": 2025}, {"label__isnull": False}, {"digit": 9}],
    ids=["all", "digit", "a-year", "labelled", "none"],
)
def test_the_date_hierarchy_lists_the_periods_django_lists(settings, spread, zone, kind, filters):
    settings.TIME_ZONE = zone
    queryset = Prediction.objects.filter(**filters)
    for order in ("ASC", "DESC"):
        expected = list(queryset.datetimes("created_at", kind, order=order))
        assert fast(queryset).datetimes("created_at", kind, order=order) == expected


def test_minimum_and_maximum_are_those_of_django(spread):
    queryset = Prediction.objects.filter(digit=1)
    bounds = {"first": Min("created_at"), "last": Max("created_at")}
    assert fast(queryset).aggregate(**bounds) == queryset.aggregate(**bounds)
    assert fast(queryset).aggregate(n=Max("digit"), m=Min("id")) == queryset.aggregate(
        n=Max("digit"), m=Min("id")
    )


def test_distinct_values_in_order(spread):
    assert distinct_values(Prediction.objects.all(), "model_version") == [
        "000000000001",
        "aaaaaaaaaaaa",
        "bbbbbbbbbbbb",
    ]
    assert distinct_values(Prediction.objects.filter(digit=9), "model_version") == []


def test_the_list_offers_each_model_version_and_each_year(staff_client, spread):
    page = staff_client.get(CHANGELIST).content.decode()
    for version in ("000000000001", "aaaaaaaaaaaa", "bbbbbbbbbbbb"):
        assert f"?model_version={version}" in page
    assert re.findall(r"created_at__year=(\d{4})", page) == ["2024", "2025", "2026"]
    # Counting everything beside a filtered count, and facets, are off.
    page = staff_client.get(f"{CHANGELIST}?digit__exact=1").content.decode()
    assert not re.search(r"\d+ total", page)
    assert "_facets" not in page


def test_drilling_down_a_month_lists_its_days(staff_client, spread):
    page = staff_client.get(
        f"{CHANGELIST}?created_at__year=2025&created_at__month=3"
    ).content.decode()
    assert sorted(set(re.findall(r"created_at__day=(\d+)", page))) == ["30"]


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        (lambda rows: str(rows[2].pk), lambda rows: [rows[2]]),
        (lambda rows: "AAAAAAAAAAAA", lambda rows: [rows[0], rows[3], rows[6]]),
        (lambda rows: "000000000001", lambda rows: [rows[2], rows[5]]),
        (lambda rows: "nothing", lambda rows: []),
    ],
    ids=["id", "version", "numeric-version", "unknown"],
)
def test_search_by_number_or_model_version(staff_client, spread, term, expected):
    page = staff_client.get(CHANGELIST, {"q": term(spread)}).content.decode()
    found = [int(pk) for pk in re.findall(r'name="_selected_action" value="(\d+)"', page)]
    assert sorted(found) == sorted(row.pk for row in expected(spread))


@pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="SQLite's plan; PostgreSQL plans a table this small by other costs",
)
@pytest.mark.parametrize("order", ["3", "-3", "3.1"], ids=["up", "down", "then-id"])
def test_sorting_by_confidence_reads_the_index_not_every_row(staff_client, spread, order):
    """A million rows took 0.4 s to sort; read in index order, a page takes milliseconds."""
    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(CHANGELIST, {"o": order})
    assert response.status_code == 200
    [page_query] = [
        q["sql"] for q in queries if re.search(r"ORDER BY \S+\.\"confidence\"", q["sql"])
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {page_query}")
        plan = " / ".join(row[-1] for row in cursor.fetchall())
    assert "USING INDEX prediction_confidence" in plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan  # at most for ties ("RIGHT PART")


@pytest.mark.parametrize(
    "version", ["aaaaaaaaaaaa", "bbbbbbbbbbbb", "000000000001", "ffffffffffff"]
)
def test_a_model_versions_rows_are_those_of_the_plain_filter(spread, version):
    """Bounded by the version's newest prediction, nothing of the version is lost."""
    newest = spread[-1]
    prediction_make(  # a second row at the very newest moment
        created_at=newest.created_at, digit=0, confidence=1.0, model_version=newest.model_version
    )
    plain = Prediction.objects.filter(model_version=version).order_by("-created_at", "-id")
    bounded = selectors.of_model_version(Prediction.objects.all(), version)
    assert list(bounded.order_by("-created_at", "-id")) == list(plain)
    assert [p.pk for p in selectors.prediction_list(model_version=version)] == [p.pk for p in plain]
