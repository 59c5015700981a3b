from django import template

register = template.Library()


@register.filter
def percent(value: float | None, decimals: int = 1) -> str:
    """0.934 → "93.4%"; None (nothing to measure) → "–"."""
    if value is None:
        return "–"
    return f"{value:.{decimals}%}"
