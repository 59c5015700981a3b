"""Take the README's screenshots of the drawing page, on a laptop and on a phone.

Needs a running server (`make run`) and Debian's Chromium:

    .venv/bin/python docs/screenshots.py [http://127.0.0.1:8000]

Each viewport is a fresh browser session that draws a few digits (with the
mouse, or with a finger through touch events), so the recent strip has
something in it, and the last one is guessed live. Light theme unless
`--dark` is given.
"""

import argparse
import itertools
import math
from collections.abc import Callable, Sequence
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

DOCS = Path(__file__).resolve().parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

Stroke = Sequence[tuple[float, float]]
# In the canvas's 280x280 units.
ONE = [[(150, 45), (140, 240)]]
ZERO = [
    [
        (140 + 60 * math.sin(2 * math.pi * i / 24), 140 - 95 * math.cos(2 * math.pi * i / 24))
        for i in range(25)
    ]
]
SEVEN = [[(70, 55), (210, 50)], [(210, 50), (125, 240)]]


def along(stroke: Stroke, steps: int = 8) -> list[tuple[float, float]]:
    """The stroke's corners with points between them, as a hand would move."""
    points = [stroke[0]]
    for (x0, y0), (x1, y1) in itertools.pairwise(stroke):
        points += [
            (x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps) for i in range(1, steps + 1)
        ]
    return points


def mouse_drawer(page: Page) -> Callable[[Stroke], None]:
    def draw(stroke: Stroke) -> None:
        box = page.locator("#pad").bounding_box()
        scale = box["width"] / 280
        points = [(box["x"] + x * scale, box["y"] + y * scale) for x, y in along(stroke)]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point)
        page.mouse.up()

    return draw


def finger_drawer(page: Page) -> Callable[[Stroke], None]:
    cdp = page.context.new_cdp_session(page)

    def draw(stroke: Stroke) -> None:
        box = page.locator("#pad").bounding_box()
        scale = box["width"] / 280
        points = [(box["x"] + x * scale, box["y"] + y * scale) for x, y in along(stroke)]
        for kind, (x, y) in [("touchStart", points[0])] + [("touchMove", p) for p in points[1:]]:
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

    return draw


def use_the_page(page: Page, draw: Callable[[Stroke], None]) -> None:
    for digit, strokes in [("1", ONE), ("0", ZERO), ("7", SEVEN)]:
        if digit != "1":
            page.get_by_role("button", name="Clear").click()
        for stroke in strokes:
            draw(stroke)
        expect(page.locator("#digit")).to_have_text(digit, timeout=10_000)
        expect(page.locator(".result")).not_to_contain_class("stale")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default="http://127.0.0.1:8000/")
    parser.add_argument("--dark", action="store_true", help="take them in the dark theme")
    options = parser.parse_args()
    theme = "dark" if options.dark else "light"
    suffix = "-dark" if options.dark else ""
    viewports = {
        "desktop": ({"viewport": {"width": 1280, "height": 800}}, mouse_drawer),
        "phone": (
            {
                "viewport": {"width": 390, "height": 844},
                "device_scale_factor": 2,
                "is_mobile": True,
                "has_touch": True,
            },
            finger_drawer,
        ),
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        for name, (context_options, drawer) in viewports.items():
            context = browser.new_context(color_scheme=theme, **context_options)
            page = context.new_page()
            page.goto(options.url)
            use_the_page(page, drawer(page))
            # The whole page in a viewport as tall as it, rather than a full-page
            # capture: that one re-lays the page out with touch emulation off.
            height = page.evaluate("document.documentElement.scrollHeight")
            page.set_viewport_size(
                {"width": context_options["viewport"]["width"], "height": height}
            )
            path = DOCS / f"page-{name}{suffix}.png"
            page.screenshot(path=path)
            print(path)
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
