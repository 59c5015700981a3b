import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from recognizer.models import Prediction

pytestmark = pytest.mark.django_db


def test_the_drawing_page_has_a_canvas_and_its_buttons(client):
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<canvas id="pad"' in page
    assert 'id="clear"' in page
    assert 'id="guess"' in page
    assert page.count('class="bar-fill"') == 10
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


def stored_prediction(session_key: str = "") -> Prediction:
    name = default_storage.save("drawings/2026/01/01/test.png", ContentFile(b"\x89PNG fake"))
    return Prediction.objects.create(
        drawing=name,
        features=[0] * 64,
        digit=3,
        confidence=0.9,
        probabilities=[0.1 / 9] * 3 + [0.9] + [0.1 / 9] * 6,
        model_version="0123456789ab",
        session_key=session_key,
    )


class TestDrawingFiles:
    def test_staff_can_see_any_drawing(self, staff_client):
        prediction = stored_prediction()
        response = staff_client.get(prediction.drawing.url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == b"\x89PNG fake"

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
