"""How the admin shows a stored drawing, what the model saw and its guess."""

import base64
import datetime
import io
import math

import numpy as np
from django.utils import timezone
from django.utils.html import format_html
from PIL import Image

from recognizer.models import Prediction


def features_data_uri(features: list[int]) -> str:
    """Return the model's input (a square grid, 0..16) as a PNG data URI, ink dark
    on white like the drawing."""
    side = math.isqrt(len(features))
    values = np.asarray(features, dtype=np.float64).reshape(side, side)
    grey = (255 - np.clip(values, 0, 16) * 255 / 16).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(grey, "L").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def features_image(prediction: Prediction) -> str:
    """Return the <img> of what the model saw, enlarged."""
    side = math.isqrt(len(prediction.features))
    return format_html(
        '<img class="digit-features" src="{}" width="160" height="160" '
        'alt="the {}x{} model input, enlarged">',
        features_data_uri(prediction.features),
        side,
        side,
    )


def drawing_image(prediction: Prediction, css_class: str, size: int) -> str:
    """Return the <img> of a stored drawing, shown `size` pixels square."""
    return format_html(
        '<img class="{}" src="{}" width="{}" height="{}" alt="drawing {}" loading="lazy">',
        css_class,
        prediction.drawing_url,
        size,
        size,
        prediction.pk,
    )


def verdict(prediction: Prediction) -> str:
    """Return ✓ when the guess was right, ✗ when wrong, nothing while unlabelled."""
    return {True: "✓", False: "✗", None: ""}[prediction.is_correct]


def moment(at: datetime.datetime, *, now: datetime.datetime | None = None) -> str:
    """Return a <time> of the date over the hour, local time, narrow enough for a
    column: the year only when it is not this year's."""
    local = timezone.localtime(at)
    this_year = timezone.localtime(now).year if now else timezone.localdate().year
    day = local.strftime("%b %-d") if local.year == this_year else local.strftime("%Y-%m-%d")
    return format_html(
        '<time datetime="{}" title="{}">{}<br>{}</time>',
        local.isoformat(),
        local.strftime("%Y-%m-%d %H:%M"),
        day,
        local.strftime("%H:%M"),
    )


def short_version(version: str) -> str:
    """Return a model version's first seven characters, the whole one on hover."""
    return format_html('<span title="{}">{}</span>', version, version[:7])
