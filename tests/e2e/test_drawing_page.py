from collections.abc import Sequence
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from recognizer.models import Prediction
from tests.drawings import ONE, ZERO, Point

pytestmark = pytest.mark.django_db(transaction=True)


def draw(page: Page, strokes: Sequence[Sequence[Point]]) -> None:
    """Draw strokes given in 280x280 canvas coordinates with the mouse."""
    box = page.locator("#pad").bounding_box()
    scale = box["width"] / 280
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x * scale, box["y"] + y * scale)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * scale, box["y"] + y * scale, steps=4)
        page.mouse.up()


@pytest.fixture
def drawing_page(page: Page, live_server) -> Page:
    page.goto(live_server.url + "/")
    expect(page.locator("#pad")).to_be_visible()
    return page


@pytest.mark.parametrize(("strokes", "digit"), [(ONE, "1"), (ZERO, "0")], ids=["one", "zero"])
def test_draw_a_digit_and_see_the_guess(drawing_page: Page, strokes, digit):
    page = drawing_page
    draw(page, strokes)
    page.get_by_role("button", name="Guess").click()

    expect(page.locator("#digit")).to_have_text(digit)
    expect(page.locator("#message")).to_contain_text(f"thinks this is a {digit}")
    bars = page.locator("#bars li")
    expect(bars).to_have_count(10)
    expect(page.locator(f'#bars li[data-digit="{digit}"]')).to_have_class("top")
    values = bars.locator(".bar-value").all_inner_texts()
    assert all(value.endswith("%") for value in values)
    assert 95 <= sum(int(value.rstrip("%")) for value in values) <= 105

    prediction = Prediction.objects.get()
    assert str(prediction.digit) == digit
    assert prediction.source == Prediction.Source.PAGE
    assert prediction.session_key
    assert (Path(settings.MEDIA_ROOT) / prediction.drawing.name).is_file()


def test_clear_empties_the_canvas_and_the_result(drawing_page: Page):
    page = drawing_page
    draw(page, ONE)
    page.get_by_role("button", name="Guess").click()
    expect(page.locator("#digit")).to_have_text("1")
    page.get_by_role("button", name="Clear").click()
    expect(page.locator("#digit")).to_have_text("?")
    pixels = page.evaluate(
        "() => { const c = document.getElementById('pad');"
        " return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data); }"
    )
    assert not any(pixels)


def test_guessing_an_empty_canvas_asks_for_a_drawing(drawing_page: Page):
    page = drawing_page
    page.get_by_role("button", name="Guess").click()
    expect(page.locator("#message")).to_have_text("Draw a digit first.")
    assert Prediction.objects.count() == 0


def test_a_server_error_is_shown_to_the_person(drawing_page: Page):
    page = drawing_page
    page.route(
        "**/api/predict/",
        lambda route: route.fulfill(
            status=503,
            content_type="application/json",
            body='{"detail": "No trained model yet.", "code": "model_not_ready"}',
        ),
    )
    draw(page, ONE)
    page.get_by_role("button", name="Guess").click()
    expect(page.locator("#message")).to_have_text("No trained model yet.")
    expect(page.locator("#digit")).to_have_text("?")


def test_an_unreachable_server_is_shown_to_the_person(drawing_page: Page):
    page = drawing_page
    page.route("**/api/predict/", lambda route: route.abort("connectionrefused"))
    draw(page, ONE)
    page.get_by_role("button", name="Guess").click()
    expect(page.locator("#message")).to_contain_text("cannot be reached")


def test_drawing_with_a_finger_does_not_scroll_the_page(drawing_page: Page):
    touch_action = drawing_page.locator("#pad").evaluate("c => getComputedStyle(c).touchAction")
    assert touch_action == "none"
