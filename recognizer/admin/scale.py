"""What keeps the admin's list of predictions fast at millions of rows.

Two of the admin's own queries read every row: the date hierarchy's list
of years, months or days that have rows (`SELECT DISTINCT trunc(date)`,
on SQLite a Python function call per row: seconds at a million), and a
filter's list of every distinct value (`SELECT DISTINCT model_version`).
Both are answered here with a few index lookups instead: without them
the list takes seconds at a million rows (bench/admin_pages.py).
"""

from datetime import datetime, timedelta

from django.contrib import admin
from django.db.models import F, Max, Min, QuerySet
from django.utils import timezone

MAX_DISTINCT_VALUES = 200


class DateHierarchyQuerySet(QuerySet):
    """A QuerySet whose `datetimes()` probes one period at a time.

    It finds the first and last dates (two index lookups), then asks, for
    each year, month or day between them, whether any row falls in it: at
    most 31 `EXISTS` queries, each an index range lookup. The result is
    what `QuerySet.datetimes()` returns: aware datetimes, truncated in the
    current time zone, in order.
    """

    def aggregate(self, *args, **kwargs):
        """MIN and MAX of plain columns one at a time: each is then one index lookup.

        SQLite reads a single MIN() or MAX() off an index, but scans every
        row for both in one query (as the date hierarchy asks for them).
        """
        if not args and len(kwargs) > 1 and all(map(is_plain_min_or_max, kwargs.values())):
            results = {}
            for name, value in kwargs.items():
                results.update(super().aggregate(**{name: value}))
            return results
        return super().aggregate(*args, **kwargs)

    def datetimes(self, field_name, kind, order="ASC", tzinfo=None):
        if kind not in ("year", "month", "day"):
            return super().datetimes(field_name, kind, order, tzinfo)
        zone = tzinfo or timezone.get_current_timezone()
        bounds = self.aggregate(first=Min(field_name), last=Max(field_name))
        if bounds["first"] is None:
            return []
        period = truncate(timezone.localtime(bounds["first"], zone), kind)
        last = timezone.localtime(bounds["last"], zone)
        found = []
        while period <= last:
            following = next_period(period, kind)
            # The period's bounds go first: when a column has two lower (or
            # upper) bounds, as inside a year or month already chosen, SQLite
            # ranges over its index with the first ones and checks the others
            # row by row.
            in_period = self.model._base_manager.using(self.db).filter(
                **{f"{field_name}__gte": period, f"{field_name}__lt": following}
            )
            if self.query.distinct:
                in_period = in_period.distinct()
            if (in_period & self).exists():
                found.append(period)
            period = following
        return found if order == "ASC" else found[::-1]


def is_plain_min_or_max(aggregate: object) -> bool:
    return (
        isinstance(aggregate, Min | Max)
        and aggregate.filter is None
        and len(aggregate.source_expressions) == 1
        and isinstance(aggregate.source_expressions[0], F)
    )


def truncate(moment: datetime, kind: str) -> datetime:
    moment = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if kind in ("year", "month"):
        moment = moment.replace(day=1)
    if kind == "year":
        moment = moment.replace(month=1)
    return moment


def next_period(start: datetime, kind: str) -> datetime:
    if kind == "year":
        return start.replace(year=start.year + 1)
    if kind == "month":
        return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    return start + timedelta(days=1)  # wall-clock arithmetic: the next midnight


def distinct_values(queryset: QuerySet, field_name: str, limit: int = MAX_DISTINCT_VALUES):
    """The distinct values of an indexed column, in order, by skipping through its index.

    One `ORDER BY field LIMIT 1` query per value, each starting after the
    previous value: a handful of index lookups when there are few values,
    where `SELECT DISTINCT` reads the whole index.
    """
    ordered = queryset.order_by(field_name).values_list(field_name, flat=True)
    values = []
    value = ordered.first()
    while value is not None and len(values) < limit:
        values.append(value)
        value = ordered.filter(**{f"{field_name}__gt": value}).first()
    return values


class IndexedValuesFilter(admin.AllValuesFieldListFilter):
    """Django's filter on every value of a field, its values found through the index."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.lookup_choices = distinct_values(model_admin.get_queryset(request), field.name)
