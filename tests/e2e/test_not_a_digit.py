"""No digit drawn with the mouse in Chromium: refused in words; plain digits still guessed."""

import pytest
from playwright.sync_api import expect

from recognizer.models import NOT_A_DIGIT, Prediction
from tests.support.browser import Device
from tests.support.canvases import NON_DIGITS, PLAIN_DIGITS

pytestmark = pytest.mark.django_db(transaction=True)


def draw_afresh(device: Device, strokes) -> None:
    """Clear the canvas, draw, and wait for the guess of this drawing."""
    device.press(device.button("Clear"))
    device.draw(strokes)
    device.press(device.button("Guess"))
    expect(device.page.locator(".result")).not_to_contain_class("stale")
    expect(device.page.locator("#confidence")).not_to_have_text("Draw a digit.")


@pytest.mark.parametrize("name", list(NON_DIGITS))
def test_what_is_no_digit_is_refused_with_the_nearest_guess_in_small_type(desktop, name):
    page = desktop.page
    draw_afresh(desktop, NON_DIGITS[name])
    expect(page.locator("#confidence")).to_have_text("That doesn't look like a digit")
    expect(page.locator("#digit")).to_have_text("?")
    prediction = Prediction.objects.get()
    assert prediction.not_a_digit is True
    expect(page.locator("#nearest")).to_be_visible()
    expect(page.locator("#nearest")).to_contain_text(f"Nearest digit: {prediction.digit}")
    expect(page.locator("#recent li .recent-guess")).to_have_text("Not a digit")

    # "Right?" Yes: it was no digit indeed.
    desktop.press(desktop.button("Yes"))
    expect(page.locator("#message")).to_have_text("Thanks! Noted: it was not a digit.")
    prediction.refresh_from_db()
    assert prediction.label == NOT_A_DIGIT


def test_ten_plain_digits_are_still_guessed(desktop):
    page = desktop.page
    for digit, strokes in PLAIN_DIGITS.items():
        draw_afresh(desktop, strokes)
        expect(page.locator("#confidence")).not_to_have_text("That doesn't look like a digit")
        expect(page.locator("#nearest")).to_be_hidden()
        shown = page.locator("#digit").inner_text()
        assert shown.isdigit(), f"the {digit} was refused"
    refused = Prediction.objects.filter(not_a_digit=True).count()
    assert refused == 0
    guesses = list(Prediction.objects.order_by("id").values_list("digit", flat=True))
    assert sum(guess == digit for guess, digit in zip(guesses, PLAIN_DIGITS, strict=True)) >= 8


def test_a_guessed_digit_can_be_corrected_as_no_digit(desktop):
    page = desktop.page
    draw_afresh(desktop, PLAIN_DIGITS[1])
    desktop.press(desktop.button("Not a digit"))
    expect(page.locator("#message")).to_have_text("Thanks! Noted: it was not a digit.")
    expect(page.locator("#recent li .recent-label")).to_have_text("✗ not a digit")
    assert Prediction.objects.get().label == NOT_A_DIGIT
