from django import template

register = template.Library()


@register.filter
def percent(value: float | None, decimals: int = 1) -> str:
    """Return a share as a percentage: 0.934 → "93.4%"; None (nothing to measure) → "–"."""
    if value is None:
        return "–"
    return f"{value:.{decimals}%}"


@register.filter
def probability(value: float) -> str:
    """A model's probability as a person reads it, never rounded into a claim of
    certainty: 0.997 → "> 99%", 0.003 → "< 1%", 0.874 → "87%"."""
    if value >= 0.995:
        return "> 99%"
    if 0 < value < 0.005:
        return "< 1%"
    return f"{value:.0%}"
