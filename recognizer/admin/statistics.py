"""The statistics page of the history: accuracy, confusion matrix, drawings per day, and
model versions compared on the same rescored drawings."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from recognizer.admin.drift import drift_context
from recognizer.history import statistics


def heat_level(count: int, total: int) -> int:
    """Return 0..10: the share of a true digit's drawings that fall in one cell."""
    return round(10 * count / total) if total else 0


def day_bar(index: int, day: object, count: int, busiest: int) -> dict:
    """Return one bar of the per-day chart, in a viewBox 10 units wide per day, 100 high."""
    height = round(100 * count / busiest) if busiest else 0
    return {"x": 10 * index + 1, "y": 100 - height, "height": height, "day": day, "count": count}


def rescore_context() -> dict:
    """Return the rescored versions side by side: each version's figures, and per digit
    drawn a row of every version's accuracy on it."""
    rescored = statistics.rescore_comparison()
    return {
        "rescored": rescored,
        "rescored_drawings": rescored[0].labelled if rescored else 0,
        "rescored_held_out": rescored[0].held_out.labelled if rescored else 0,
        "rescore_rows": [
            (digit, [version.by_digit[digit] for version in rescored])
            for digit in statistics.DIGITS
        ],
    }


def statistics_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    """Answer the statistics page: accuracy, confusion matrix and drawings per day."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    stats = statistics.history_statistics()
    columns = [row.labelled for row in stats.by_digit]
    confusion_rows = [
        (
            guess,
            [
                (truth, count, heat_level(count, columns[truth]), guess == truth)
                for truth, count in enumerate(counts)
            ],
        )
        for guess, counts in enumerate(stats.confusion)
    ]
    busiest = max((count for _, count in stats.per_day), default=0)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Statistics",
        "opts": model_admin.model._meta,
        "stats": stats,
        "confusion_rows": confusion_rows,
        "day_bars": [
            day_bar(index, day, count, busiest) for index, (day, count) in enumerate(stats.per_day)
        ],
        "chart_width": 10 * len(stats.per_day),
        "busiest_day": busiest,
        **rescore_context(),
        **drift_context(),
    }
    return TemplateResponse(request, "admin/recognizer/prediction/statistics.html", context)
