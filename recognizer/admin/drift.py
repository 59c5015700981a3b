"""The drift panel of the statistics page: the latest check in plain words, and the
two PSI values of the recent checks as a small chart."""

from recognizer.ml.drift import ALARM
from recognizer.models import DriftCheck
from recognizer.monitoring.readings import reading_of

CHECKS_SHOWN = 48  # twelve hours of checks every 15 minutes
CHART_WIDTH = 300
CHART_HEIGHT = 100


def chart_points(values: list[float], top: float) -> str:
    """Return an SVG polyline's points for values spread over the chart's width."""
    step = CHART_WIDTH / max(len(values) - 1, 1)
    return " ".join(
        f"{index * step:.1f},{CHART_HEIGHT * (1 - min(value, top) / top):.1f}"
        for index, value in enumerate(values)
    )


def drift_context() -> dict:
    """Return the drift panel's context: the latest check and its reading, and the
    chart of the recent checks, oldest first."""
    checks = list(DriftCheck.objects.order_by("-checked_at", "-id")[:CHECKS_SHOWN])[::-1]
    if not checks:
        return {"drift_latest": None}
    digits = [check.digits_psi for check in checks]
    confidence = [check.confidence_psi for check in checks]
    top = max(0.5, *digits, *confidence)
    latest = checks[-1]
    return {
        "drift_latest": latest,
        "drift_reading": reading_of(latest),
        "drift_checks": len(checks),
        "drift_first": checks[0],
        "drift_chart": {
            "width": CHART_WIDTH,
            "height": CHART_HEIGHT,
            "digits": chart_points(digits, top),
            "confidence": chart_points(confidence, top),
            "alarm_y": f"{CHART_HEIGHT * (1 - ALARM / top):.1f}",
            "top": round(top, 2),
        },
        "drift_alarm": ALARM,
    }
