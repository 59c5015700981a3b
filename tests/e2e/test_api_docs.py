"""The API docs page in Chromium: "Try it out" works with the values it prefills."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from recognizer.models import Prediction
from tests.support.canvases import ONE, canvas_image, png_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def try_predict(page: Page, live_server, content_type: str) -> None:
    page.goto(live_server.url + "/api/docs/")
    operation = page.locator(".opblock").filter(has_text="/api/predict/").first
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.locator(".body-param-content-type select").select_option(content_type)


def execute(page: Page) -> None:
    operation = page.locator(".opblock").filter(has_text="/api/predict/").first
    with page.expect_response("**/api/predict/") as answer:
        operation.get_by_role("button", name="Execute").click()
    assert answer.value.status == 201, answer.value.text()


def test_an_uploaded_file_is_guessed_with_the_form_as_prefilled(
    page: Page, live_server, tmp_path: Path
):
    try_predict(page, live_server, "multipart/form-data")
    operation = page.locator(".opblock").filter(has_text="/api/predict/").first
    replaces = operation.locator('input[placeholder="replaces"]')
    expect(replaces).to_have_value("")
    drawing = tmp_path / "one.png"
    drawing.write_bytes(png_bytes(canvas_image(ONE)))
    operation.locator('input[type="file"]').set_input_files(drawing)
    execute(page)
    # Called from the docs page, with its session: the API's, not the drawing page's.
    assert Prediction.objects.get().source == Prediction.Source.API


def test_the_prefilled_json_example_is_guessed(page: Page, live_server):
    try_predict(page, live_server, "application/json")
    execute(page)
    assert Prediction.objects.get().source == Prediction.Source.API
