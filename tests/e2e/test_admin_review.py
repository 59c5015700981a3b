"""A reviewer in Chromium: labelling drawing after drawing from the keyboard, and
from the statistics' confusion matrix to the drawings behind a cell."""

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, expect

from recognizer.models import Prediction
from tests.support.factories import prediction_made_ago

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def reviewer(browser: Browser, live_server) -> Page:
    User.objects.create_superuser("lead", "lead@example.org", "a-long-test-password")
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "lead")
    page.fill("#id_password", "a-long-test-password")
    page.click("input[type=submit]")
    return page


def test_labelling_one_drawing_after_another_from_the_keyboard(reviewer: Page, live_server):
    newest, second, oldest = (
        prediction_made_ago(1, 1, 0.9),
        prediction_made_ago(2, 2, 0.6),
        prediction_made_ago(3, 3, 0.8),
    )
    reviewer.goto(f"{live_server.url}/admin/recognizer/prediction/?correct=unknown")
    reviewer.locator(f'#result_list a[href*="/{newest.pk}/change/"]').first.click()
    expect(reviewer.locator("#id_label")).to_be_visible()

    reviewer.keyboard.press("7")  # labels the newest 7 and opens the next in the list
    expect(reviewer).to_have_url(re.compile(rf"/{second.pk}/change/"))
    expect(reviewer.locator(".messagelist")).to_contain_text(f"Drawing {newest.pk} labelled 7.")
    reviewer.keyboard.press("y")  # the guess (2) was right
    expect(reviewer).to_have_url(re.compile(rf"/{oldest.pk}/change/"))
    # Both labelled, they have left the list of unlabelled ones: no previous there.
    expect(reviewer.locator("#previous-drawing")).to_have_count(0)
    labels = dict(Prediction.objects.values_list("pk", "label"))
    assert labels == {newest.pk: 7, second.pk: 2, oldest.pk: None}

    reviewer.goto(f"{live_server.url}/admin/recognizer/prediction/")
    reviewer.locator(f'#result_list a[href*="/{oldest.pk}/change/"]').first.click()
    expect(reviewer.locator("#previous-drawing")).to_be_visible()
    reviewer.keyboard.press("p")  # the previous of the whole list, without saving
    expect(reviewer).to_have_url(re.compile(rf"/{second.pk}/change/"))
    expect(reviewer.locator("#next-drawing")).to_be_visible()
    reviewer.keyboard.press("n")
    expect(reviewer).to_have_url(re.compile(rf"/{oldest.pk}/change/"))


def test_a_confusion_matrix_cell_opens_its_drawings(reviewer: Page, live_server):
    wrong = prediction_made_ago(1, 3, 0.7, label=8)
    prediction_made_ago(2, 3, 0.9, label=3)
    reviewer.goto(f"{live_server.url}/admin/recognizer/prediction/statistics/")
    reviewer.locator("#confusion a[href*='digit__exact=3&label__exact=8']").click()
    expect(reviewer.locator("#result_list tbody tr")).to_have_count(1)
    expect(reviewer.locator("#result_list tbody")).to_contain_text(str(wrong.pk))


@pytest.mark.parametrize("width", [1280, 1440])
@pytest.mark.parametrize(
    "address",
    [
        "/admin/recognizer/prediction/",
        "/admin/recognizer/predictiontoreview/",
        "/admin/recognizer/prediction/?challenger=disagree",
    ],
    ids=["predictions", "review-queue", "disagreements"],
)
def test_the_lists_of_drawings_fit_beside_the_sidebar(
    reviewer: Page, live_server, width: int, address: str
):
    for minutes_ago in (1, 60 * 24 * 400):  # this year's dates, and an older one's
        drawing = prediction_made_ago(minutes_ago, 8, 0.999)
        Prediction.objects.filter(pk=drawing.pk).update(
            challenger_version="0123456789ab", challenger_digit=3, challenger_confidence=0.999
        )
    reviewer.set_viewport_size({"width": width, "height": 800})
    reviewer.goto(f"{live_server.url}{address}")
    expect(reviewer.locator("#nav-sidebar")).to_be_visible()
    table = reviewer.locator("#result_list")
    expect(table.locator("tbody tr")).to_have_count(2)
    fits = table.evaluate("t => t.scrollWidth <= t.closest('.results').clientWidth")
    assert fits, "the last columns are cut off"
    last = table.locator("thead th").last
    assert last.bounding_box()["x"] + last.bounding_box()["width"] <= width
