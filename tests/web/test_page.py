import re
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from recognizer.history import selectors
from recognizer.models import Prediction
from tests.support.factories import PNG_SIGNATURE, prediction_make

pytestmark = pytest.mark.django_db


def test_the_drawing_page_has_a_canvas_and_its_buttons(client):
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<canvas id="pad"' in page
    assert 'id="clear"' in page
    assert 'id="guess"' in page
    assert page.count('class="bar-fill"') == 10
    assert 'id="undo"' in page
    assert page.count('name="pen"') == 3
    assert page.count("data-label=") == 11  # the ten digits and "not_a_digit"
    assert 'data-feedback-url="/api/predictions/{id}/feedback/"' in page
    assert 'id="recent"' in page
    assert 'name="csrf-token"' in page
    assert "recognizer/js/draw.js" in page


def test_the_page_starts_a_session_and_sets_the_csrf_cookie(client):
    client.get("/")
    assert client.session.session_key
    assert "csrftoken" in client.cookies


def test_the_page_scripts_and_styles_are_served(client):
    for path in ["/static/recognizer/js/draw.js", "/static/recognizer/css/site.css"]:
        response = client.get(path)
        assert response.status_code == 200, path
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert len(body) > 500


# The figure: the page's own scripts and styles, uncompressed.
PAGE_WEIGHT_BUDGET = 30_000


def test_the_page_scripts_and_styles_fit_the_budget(client):
    page = client.get("/").content.decode()
    assets = re.findall(r'<script src="([^"]+)"', page) + re.findall(
        r'<link rel="stylesheet" href="([^"]+)"', page
    )
    assert {Path(asset).suffix for asset in assets} == {".js", ".css"}
    sizes = {}
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        sizes[asset] = len(b"".join(response.streaming_content))
    assert sum(sizes.values()) < PAGE_WEIGHT_BUDGET, sizes


def stored_prediction(
    session_key: str = "", digit: int = 3, label: int | None = None
) -> Prediction:
    return prediction_make(with_file=True, digit=digit, session_key=session_key, label=label)


class TestRecentDrawings:
    def test_a_new_visitor_sees_an_empty_strip(self, client):
        stored_prediction(session_key="someone-else")
        page = client.get("/").content.decode()
        assert "Your drawings and their guesses will appear here." in page
        assert "data-id=" not in page

    def test_the_sessions_drawings_are_listed_newest_first_with_their_labels(self, client):
        client.get("/")
        session_key = client.session.session_key
        right = stored_prediction(session_key, digit=1, label=1)
        wrong = stored_prediction(session_key, digit=3, label=8)
        unlabelled = stored_prediction(session_key, digit=7)
        stored_prediction(session_key="someone-else", digit=5)
        response = client.get("/")
        assert [p.pk for p in response.context["recent_predictions"]] == [
            unlabelled.pk,
            wrong.pk,
            right.pk,
        ]
        page = response.content.decode()
        assert f'src="{unlabelled.drawing.url}"' in page
        assert "✗ was 8" in page
        assert "✓ right" in page

    def test_the_strip_keeps_the_latest_twelve(self, client):
        client.get("/")
        session_key = client.session.session_key
        stored = [stored_prediction(session_key) for _ in range(14)]
        page = client.get("/").content.decode()
        assert page.count("data-id=") == 12
        assert f'data-id="{stored[-1].pk}"' in page
        assert f'data-id="{stored[1].pk}"' not in page


def test_recent_predictions_needs_a_session():
    stored_prediction(session_key="")
    assert selectors.session_predictions(session_key="", limit=12) == []


class TestDrawingFiles:
    def test_staff_can_see_any_drawing(self, staff_client):
        prediction = stored_prediction()
        response = staff_client.get(prediction.drawing.url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == PNG_SIGNATURE

    def test_the_session_that_drew_it_can_see_it(self, client):
        client.get("/")
        prediction = stored_prediction(session_key=client.session.session_key)
        assert client.get(prediction.drawing.url).status_code == 200

    def test_anyone_else_gets_not_found(self, client):
        client.get("/")
        prediction = stored_prediction(session_key="someone-else")
        assert client.get(prediction.drawing.url).status_code == 404

    def test_a_drawing_without_a_row_is_not_found(self, staff_client):
        default_storage.save("drawings/2026/01/01/orphan.png", ContentFile(b"x"))
        assert staff_client.get("/media/drawings/2026/01/01/orphan.png").status_code == 404

    def test_paths_outside_the_drawings_are_not_served(self, staff_client):
        assert staff_client.get("/media/../digitsite/settings.py").status_code == 404
        assert staff_client.get("/media/drawings/%2e%2e/x.png").status_code == 404
