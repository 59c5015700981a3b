"""A page in Chromium and the hand that draws on it, for the end-to-end tests."""

import itertools
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, CDPSession, Locator, Page, expect

from tests.support.canvases import Point

DEVICES = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}


def along(stroke: Sequence[Point], step: float = 10) -> list[Point]:
    """The stroke's points with one every `step` canvas pixels between them."""
    points = [stroke[0]]
    for (x0, y0), (x1, y1) in itertools.pairwise(stroke):
        n = max(1, math.ceil(math.dist((x0, y0), (x1, y1)) / step))
        points += [(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n) for i in range(1, n + 1)]
    return points


@dataclass
class Device:
    """A page and the hand that draws on it: the mouse, or a finger (touch events)."""

    page: Page
    touch: CDPSession | None

    def on_screen(self, stroke: Sequence[Point]) -> list[Point]:
        pad = self.page.locator("#pad")
        pad.scroll_into_view_if_needed()  # tapping a button lower down may have scrolled
        box = pad.bounding_box()
        scale = box["width"] / 280
        return [(box["x"] + x * scale, box["y"] + y * scale) for x, y in along(stroke)]

    def draw(self, strokes: Sequence[Sequence[Point]]) -> None:
        """Draw strokes given in 280x280 canvas coordinates."""
        for stroke in strokes:
            points = self.on_screen(stroke)
            if self.touch is None:
                self.page.mouse.move(*points[0])
                self.page.mouse.down()
                for point in points[1:]:
                    self.page.mouse.move(*point)
                self.page.mouse.up()
            else:
                self.swipe(points)

    def swipe(self, points: Sequence[Point]) -> None:
        assert self.touch is not None
        for kind, (x, y) in [("touchStart", points[0])] + [("touchMove", p) for p in points[1:]]:
            self.touch.send(
                "Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]}
            )
        self.touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

    def press(self, target: Locator) -> None:
        if self.touch is None:
            target.click()
        else:
            target.tap()

    def button(self, name: str) -> Locator:
        return self.page.get_by_role("button", name=name, exact=True)


@contextmanager
def opened_device(browser: Browser, url: str, kind: str) -> Iterator[Device]:
    """A device on the page; closed once the page's requests are done, so that none
    reaches the live server after the test's database has gone."""
    device, context = open_device(browser, url, kind)
    yield device
    device.page.wait_for_load_state("networkidle")
    context.close()


def open_device(browser: Browser, url: str, kind: str) -> tuple[Device, object]:
    context = browser.new_context(**DEVICES[kind])
    page = context.new_page()
    # The Content-Security-Policy is on here as in production: nothing of ours may break it.
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" not in message.text
            or pytest.fail(f"CSP violation: {message.text}")
        ),
    )
    page.goto(url)
    expect(page.locator("#pad")).to_be_visible()
    touch = context.new_cdp_session(page) if kind == "phone" else None
    return Device(page, touch), context
