"""The drawing page in Chromium, on a laptop with a mouse and on a phone with a finger."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, Route, expect

from recognizer.history import services
from recognizer.models import Prediction
from tests.support.browser import DEVICES, Device, opened_device
from tests.support.canvases import ONE, SEVEN_IN_TWO_STROKES, ZERO
from tests.support.waiting import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

PREDICT = "**/api/predict/"
FEEDBACK = "**/api/predictions/*/feedback/"


# Each device in turn, for what differs between a mouse and a finger (drawing, layout);
# what the page's script does alike on both is tested on the desktop. (In this
# module only: pytest-playwright has a session-wide `device` fixture of its own.)
@pytest.fixture(params=list(DEVICES))
def device(request, browser: Browser, live_server) -> Iterator[Device]:
    with opened_device(browser, live_server.url + "/", request.param) as opened:
        yield opened


def ink_pixels(page: Page, canvas: str = "#pad") -> int:
    return page.locator(canvas).evaluate(
        "c => c.getContext('2d').getImageData(0, 0, c.width, c.height).data"
        ".filter((value, index) => index % 4 === 3 && value > 0).length"
    )


def stored_files() -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def answer_with(page: Page, probabilities: list[float]) -> None:
    """Answer every guess with these probabilities, as a server would."""
    digit = max(range(10), key=probabilities.__getitem__)
    prediction = {
        "id": 1,
        "digit": digit,
        "confidence": probabilities[digit],
        "probabilities": probabilities,
        "model_version": "0123456789ab",
        "created_at": "2026-11-30T12:00:00Z",
        "features": [8] * 64,
        "feedback_token": "t",
    }
    page.route(
        PREDICT,
        lambda route: route.fulfill(
            status=201, content_type="application/json", body=json.dumps(prediction)
        ),
    )


def expect_guess(page: Page, digit: str) -> None:
    """The guess for the drawing now on the canvas is on screen."""
    expect(page.locator("#digit")).to_have_text(digit)
    expect(page.locator(".result")).not_to_contain_class("stale")


def test_the_guess_appears_while_drawing_a_one_and_a_seven(device: Device):
    page = device.page
    device.draw(ONE)
    expect_guess(page, "1")
    expect(page.locator("#confidence")).to_contain_text("1")
    device.press(device.button("Clear"))
    expect(page.locator("#digit")).to_have_text("?")
    device.draw(SEVEN_IN_TWO_STROKES)
    expect_guess(page, "7")

    bars = page.locator("#bars li")
    expect(bars).to_have_count(10)
    expect(page.locator('#bars li[data-digit="7"]')).to_contain_class("top")
    expect(page.locator("#bars li.top")).to_have_count(1)
    values = bars.locator(".bar-value").all_inner_texts()
    assert all(value.endswith("%") for value in values)
    assert "100%" not in values
    shown = [{"< 1%": 0.5, "> 99%": 99.5}.get(value) or float(value[:-1]) for value in values]
    assert 95 <= sum(shown) <= 105
    expect(page.locator("#seen")).to_be_visible()
    assert ink_pixels(page, "#seen") > 0, "the 8x8 picture the model saw is drawn"

    # One stored drawing per drawing: the live guesses of the 7 replaced each other.
    assert sorted(Prediction.objects.values_list("digit", flat=True)) == [1, 7]
    assert all(
        p.source == Prediction.Source.PAGE and p.session_key for p in Prediction.objects.all()
    )
    expect(page.locator("#recent li")).to_have_count(2)
    assert len(stored_files()) == 2


@pytest.mark.parametrize(("strokes", "digit"), [(ONE, "1"), (ZERO, "0")], ids=["one", "zero"])
def test_the_guess_button_still_works(desktop: Device, strokes, digit):
    page = desktop.page
    desktop.draw(strokes)
    desktop.press(desktop.button("Guess"))
    expect_guess(page, digit)
    prediction = Prediction.objects.get()
    assert str(prediction.digit) == digit
    assert (Path(settings.MEDIA_ROOT) / prediction.drawing.name).is_file()


def test_undo_removes_the_last_stroke(desktop: Device):
    page = desktop.page
    desktop.draw(SEVEN_IN_TWO_STROKES)
    expect_guess(page, "7")
    with_stem = ink_pixels(page)
    features_with_stem = page.locator("#seen").screenshot()

    if desktop.touch is None:
        page.keyboard.press("Control+z")
    else:
        desktop.press(desktop.button("Undo"))
    expect(page.locator("#digit")).not_to_have_text("7")
    expect(page.locator(".result")).not_to_contain_class("stale")
    assert 0 < ink_pixels(page) < with_stem
    assert page.locator("#seen").screenshot() != features_with_stem

    desktop.press(desktop.button("Undo"))
    expect(page.locator("#digit")).to_have_text("?")
    wait_for(lambda: ink_pixels(page) == 0)
    expect(desktop.button("Undo")).to_be_disabled()
    # Every stroke taken back takes the drawing back: the 7's guess was replaced
    # by the bar's, and the bar's was withdrawn. Nothing is kept of it.
    expect(page.locator("#recent li")).to_have_count(0)
    expect(page.locator("#recent-empty")).to_be_visible()
    wait_for(lambda: Prediction.objects.count() == 0 and not stored_files())


def test_escape_and_clear_empty_the_canvas_and_the_result(desktop: Device):
    page = desktop.page
    desktop.draw(ONE)
    expect_guess(page, "1")
    page.keyboard.press("Escape")
    expect(page.locator("#digit")).to_have_text("?")
    wait_for(lambda: ink_pixels(page) == 0)  # repainted on the next frame
    assert ink_pixels(page, "#seen") == 0
    expect(page.locator("#feedback")).to_be_hidden()

    desktop.draw(ONE)
    expect_guess(page, "1")
    desktop.press(desktop.button("Clear"))
    expect(page.locator("#digit")).to_have_text("?")
    wait_for(lambda: ink_pixels(page) == 0)
    # A cleared drawing is a finished one: it stays in the history.
    assert Prediction.objects.count() == 2


def test_the_pen_width_changes_the_stroke(desktop: Device):
    page = desktop.page
    inks = {}
    for width in ["Thin", "Medium", "Thick"]:
        desktop.press(page.locator(".pen", has=page.get_by_role("radio", name=width)))
        expect(page.get_by_role("radio", name=width)).to_be_checked()
        desktop.draw(ONE)
        expect_guess(page, "1")
        inks[width] = ink_pixels(page)
        desktop.press(desktop.button("Clear"))
    assert inks["Thin"] * 1.3 < inks["Medium"]
    assert inks["Medium"] * 1.3 < inks["Thick"]


def test_recent_drawings_are_kept_across_reloads(desktop: Device):
    page = desktop.page
    expect(page.locator("#recent-empty")).to_be_visible()
    desktop.draw(ONE)
    expect_guess(page, "1")
    desktop.press(desktop.button("Clear"))
    desktop.draw(SEVEN_IN_TWO_STROKES)
    expect_guess(page, "7")
    recent = page.locator("#recent li")
    expect(recent.locator(".recent-guess")).to_have_text(["Guess 7", "Guess 1"])

    page.reload()
    expect(recent.locator(".recent-guess")).to_have_text(["Guess 7", "Guess 1"])
    expect(page.locator("#recent-empty")).to_be_hidden()
    ids = [int(pk) for pk in recent.evaluate_all("items => items.map(li => li.dataset.id)")]
    assert ids == list(Prediction.objects.values_list("pk", flat=True))
    # The thumbnails are the stored drawings, served to the session that drew them.
    for image in recent.locator("img").all():
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") == 280


def test_a_correction_reaches_the_admin_list(device: Device, browser: Browser, live_server):
    page = device.page
    expect(page.locator("#feedback")).to_be_hidden()
    device.draw(ONE)
    expect_guess(page, "1")
    wrong = page.get_by_role("group", name="No, it was")
    expect(wrong.get_by_role("button")).to_have_count(11)  # the ten digits and "Not a digit"
    with page.expect_request(FEEDBACK) as sent:
        device.press(wrong.get_by_role("button", name="7", exact=True))

    expect(page.locator("#message")).to_have_text("Thanks! Noted: it was a 7.")
    prediction = Prediction.objects.get()
    assert sent.value.url.endswith(f"/api/predictions/{prediction.pk}/feedback/")
    assert sent.value.post_data_json == {"label": 7}
    assert (prediction.label, prediction.labeller) == (7, Prediction.Labeller.SESSION)
    expect(page.locator(f'#recent li[data-id="{prediction.pk}"] .recent-label')).to_have_text(
        "✗ was 7"
    )
    expect(wrong.get_by_role("button", name="7", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )

    # A reviewer finds the label on the admin list at once.
    User.objects.create_superuser("admin", "admin@example.com", "a-long-admin-password")
    reviewer = browser.new_context()
    admin = reviewer.new_page()
    admin.goto(live_server.url + "/admin/recognizer/prediction/")
    admin.get_by_label("Username").fill("admin")
    admin.get_by_label("Password").fill("a-long-admin-password")
    admin.get_by_role("button", name="Log in").click()
    row = admin.locator("#result_list tbody tr").filter(has=admin.locator(f"text={prediction.pk}"))
    expect(row.locator("select[name$='-label']")).to_have_value("7")
    reviewer.close()

    # A labelled drawing is kept: drawing on makes a new prediction, not a replacement.
    with page.expect_request(PREDICT) as next_guess:
        device.draw([[(100, 60), (140, 40)]])
    assert json.loads(next_guess.value.post_data)["replaces"] is None
    expect(page.locator(".result")).not_to_contain_class("stale")
    assert Prediction.objects.count() == 2


def test_a_reviewers_label_is_shown_as_final(desktop: Device, django_user_model):
    page = desktop.page
    desktop.draw(ONE)
    expect_guess(page, "1")
    prediction = Prediction.objects.get()
    reviewer = django_user_model.objects.create_user("reviewer", is_staff=True)
    services.prediction_label(
        prediction=prediction, label=4, labeller=Prediction.Labeller.STAFF, user=reviewer
    )

    wrong = page.get_by_role("group", name="No, it was")
    desktop.press(wrong.get_by_role("button", name="7", exact=True))
    expect(page.locator("#message")).to_contain_text("A reviewer has labelled this drawing as 4")
    for button in page.locator("#feedback button").all():
        expect(button).to_be_disabled()
    assert Prediction.objects.get().label == 4


def test_the_right_answer_and_a_refused_feedback(desktop: Device):
    page = desktop.page
    answers = iter([(403, '{"detail": "Not your drawing.", "code": "not_yours"}'), (200, "{}")])

    def answer(route: Route) -> None:
        status, body = next(answers)
        route.fulfill(status=status, content_type="application/json", body=body)

    page.route(FEEDBACK, answer)
    desktop.draw(ONE)
    expect_guess(page, "1")
    yes = desktop.button("Yes")
    desktop.press(yes)
    expect(page.locator("#message")).to_have_text("Not your drawing.")
    expect(page.locator("#message")).to_have_attribute("data-kind", "error")
    desktop.press(yes)
    expect(page.locator("#message")).to_have_text("Thanks! Noted: it was a 1, as guessed.")
    expect(page.locator("#recent li .recent-label")).to_have_text("✓ right")


def test_guessing_an_empty_canvas_asks_for_a_drawing(desktop: Device):
    desktop.press(desktop.button("Guess"))
    expect(desktop.page.locator("#message")).to_have_text("Draw a digit first.")
    assert Prediction.objects.count() == 0


def test_a_server_error_is_shown_to_the_person(desktop: Device):
    page = desktop.page
    page.route(
        PREDICT,
        lambda route: route.fulfill(
            status=503,
            content_type="application/json",
            body='{"detail": "No trained model yet.", "code": "model_not_ready"}',
        ),
    )
    desktop.draw(ONE)
    expect(page.locator("#message")).to_have_text("No trained model yet.")
    expect(page.locator("#digit")).to_have_text("?")


def test_a_stopped_server_is_shown_to_the_person(desktop: Device):
    page = desktop.page
    page.route(PREDICT, lambda route: route.abort("connectionrefused"))
    desktop.draw(ONE)
    expect(page.locator("#message")).to_contain_text("The server cannot be reached")
    expect(page.locator("#digit")).to_have_text("?")

    page.unroute(PREDICT)
    desktop.press(desktop.button("Guess"))
    expect_guess(page, "1")


def test_a_late_answer_never_overwrites_a_newer_drawing(desktop: Device):
    page = desktop.page
    page.locator("#digit").evaluate(
        "digit => { window.digitsShown = [];"
        " new MutationObserver(() => window.digitsShown.push(digit.textContent))"
        ".observe(digit, {childList: true, characterData: true, subtree: true}); }"
    )
    held: list[Route] = []

    def hold_the_first(route: Route) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route(PREDICT, hold_the_first)
    bar, stem = SEVEN_IN_TWO_STROKES
    with page.expect_request(PREDICT):
        desktop.draw([bar])
    desktop.draw([stem])
    expect(page.locator(".result")).to_have_attribute("aria-busy", "true")
    assert held, "the bar's guess is held back"
    held[0].continue_()

    expect_guess(page, "7")
    assert page.evaluate("window.digitsShown") == ["7"]
    # The bar's late answer was replaced by the 7's in the history too.
    assert list(Prediction.objects.values_list("digit", flat=True)) == [7]
    expect(page.locator("#recent li")).to_have_count(1)


def test_the_result_appearing_moves_nothing(device: Device):
    page = device.page
    parts = ["#pad", ".tools", ".result", ".verdict", "#message", "#feedback", "#bars"]

    def boxes() -> dict[str, dict]:
        return {part: page.locator(part).bounding_box() for part in parts}

    before = boxes()
    device.draw(ONE)
    expect_guess(page, "1")
    expect(page.locator("#feedback")).to_be_visible()
    assert boxes() == before


def test_the_controls_are_reachable_with_the_keyboard(desktop: Device):
    page = desktop.page
    desktop.draw(ONE)
    expect_guess(page, "1")
    focused = []
    for _ in range(15):
        page.keyboard.press("Tab")
        focused.append(
            page.evaluate(
                "() => { const e = document.activeElement;"
                " return e.type === 'radio' ? `pen ${e.value}` : e.textContent.trim(); }"
            )
        )
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    assert focused == ["pen 18", "Undo", "Clear", "Guess", "✓ Yes", *"0123456789"]
    pen = page.get_by_role("radio", name="Medium")
    pen.focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="Thick")).to_be_checked()
    page.keyboard.press("Meta+z")
    expect(page.locator("#digit")).to_have_text("?")


def test_a_finger_on_the_canvas_neither_scrolls_nor_zooms_the_page(phone: Device):
    page = phone.page
    assert page.evaluate("document.scrollingElement.scrollHeight > innerHeight")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    box = page.locator("#pad").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert box["width"] == pytest.approx(box["height"])

    # An upward swipe would scroll the page down, were the canvas not drawing...
    phone.swipe(phone.on_screen([(140, 260), (140, 20)]))
    # ...and two fingers spreading apart would zoom it.
    [(left, middle)], [(right, _)] = phone.on_screen([(130, 140)]), phone.on_screen([(150, 140)])
    for spread in range(0, 121, 12):
        fingers = [
            {"x": left - spread, "y": middle, "id": 0},
            {"x": right + spread, "y": middle, "id": 1},
        ]
        kind = "touchStart" if spread == 0 else "touchMove"
        phone.touch.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": fingers})
    phone.touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

    expect(page.locator("#digit")).not_to_have_text("?")
    assert page.evaluate("scrollY") == 0
    assert page.evaluate("visualViewport.scale") == 1
    assert ink_pixels(page) > 0


def test_a_confident_guess_never_claims_certainty(desktop: Device):
    page = desktop.page
    answer_with(page, [0.9993] + [0.0003] * 2 + [0.0001] * 7)
    desktop.draw(ONE)
    expect(page.locator("#confidence")).to_have_text("> 99% sure it is a 0")
    values = page.locator("#bars .bar-value").all_inner_texts()
    assert values == ["> 99%"] + ["< 1%"] * 9
    assert "100%" not in page.locator(".result").inner_text()
    # The bold "> 99%" fits its column.
    top = page.locator("#bars li.top .bar-value")
    assert top.evaluate("e => e.scrollWidth <= e.clientWidth")
    assert top.bounding_box()["x"] + top.bounding_box()["width"] <= page.viewport_size["width"]


def test_a_doubtful_guess_says_so_in_words(desktop: Device):
    page = desktop.page
    answer_with(page, [0.0, 0.02, 0.02, 0.02, 0.45, 0.02, 0.02, 0.02, 0.03, 0.40])
    desktop.draw(ONE)
    expect(page.locator("#confidence")).to_have_text("Not sure — is it a 4 or a 9?")
    expect(page.locator(".result")).to_contain_class("unsure")


def test_an_eight_is_named_with_an(desktop: Device):
    page = desktop.page
    answer_with(page, [0.0] * 8 + [0.999, 0.001])
    desktop.draw(ONE)
    expect(page.locator("#confidence")).to_have_text("> 99% sure it is an 8")
    answer_with(page, [0.0] * 8 + [0.48, 0.52])
    desktop.draw([[(100, 60), (140, 40)]])
    expect(page.locator("#confidence")).to_have_text("Not sure — is it a 9 or an 8?")


def test_a_speck_is_refused_with_a_message(device: Device):
    page = device.page
    device.draw([[(140, 140), (146, 146)]])
    device.press(device.button("Guess"))
    expect(page.locator("#message")).to_contain_text("too small to be a digit")
    expect(page.locator("#message")).to_have_attribute("data-kind", "error")
    expect(page.locator("#digit")).to_have_text("?")
    assert Prediction.objects.count() == 0
    # The message stands in the guess's place, without the empty rows of a guess.
    for part in ("#confidence", "#feedback", ".details"):
        expect(page.locator(part)).to_be_hidden()
    device.press(device.button("Clear"))
    device.draw(ONE)
    expect_guess(page, "1")
    for part in ("#confidence", ".details"):
        expect(page.locator(part)).to_be_visible()


def test_on_a_phone_the_guess_and_its_correction_are_in_view_after_drawing(phone: Device):
    page = phone.page
    phone.draw(ONE)
    expect_guess(page, "1")
    assert page.evaluate("scrollY") == 0
    height = page.viewport_size["height"]
    for part in [
        "#digit",
        "#confidence",
        "#feedback-right",
        ".feedback-yes",
        *[f'.feedback-digits button[data-label="{digit}"]' for digit in range(10)],
    ]:
        box = page.locator(part).bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= height, part
    # Every control a finger uses is at least 44x44 pixels.
    for button in page.locator("button").all():
        box = button.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, button.inner_text()
