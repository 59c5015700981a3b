"""Example requests for the API's documentation that really work when tried."""

import base64
import io
from functools import cache

from PIL import Image, ImageDraw


@cache
def drawing_data_uri() -> str:
    """Return a small, complete canvas-like drawing of a 7 as a PNG data URI."""
    image = Image.new("L", (56, 56), 255)
    pen = ImageDraw.Draw(image)
    pen.line([(14, 10), (42, 10), (24, 46)], fill=0, width=5, joint="curve")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
