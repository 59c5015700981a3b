"""Throttling, access, CSRF, security headers and the production settings check."""

import pytest
from rest_framework.test import APIClient

from tests.support.canvases import one_data_uri
from tests.support.processes import PROJECT as ROOT
from tests.support.processes import manage

pytestmark = pytest.mark.django_db


class TestThrottling:
    def test_predictions_are_throttled_with_retry_after(self, low_rates):
        api = APIClient()
        for _ in range(2):
            assert (
                api.post("/api/predict/", {"image": one_data_uri()}, format="json").status_code
                == 201
            )
        response = api.post("/api/predict/", {"image": one_data_uri()}, format="json")
        assert response.status_code == 429
        assert response.json()["code"] == "throttled"
        assert 0 < int(response["Retry-After"]) <= 60

    def test_feedback_is_throttled(self, low_rates):
        api = APIClient()
        made = api.post("/api/predict/", {"image": one_data_uri()}, format="json").json()
        url = f"/api/predictions/{made['id']}/feedback/"
        body = {"label": 1, "token": made["feedback_token"]}
        assert [api.post(url, body, format="json").status_code for _ in range(3)] == [200, 200, 429]

    def test_logged_in_users_have_their_own_rate(self, low_rates, staff_api):
        api = staff_api
        statuses = [
            api.post("/api/predict/", {"image": one_data_uri()}, format="json").status_code
            for _ in range(4)
        ]
        assert statuses == [201, 201, 201, 429]

    def test_clients_are_throttled_separately(self, low_rates):
        first, second = APIClient(REMOTE_ADDR="10.0.0.1"), APIClient(REMOTE_ADDR="10.0.0.2")
        for _ in range(2):
            first.post("/api/predict/", {"image": one_data_uri()}, format="json")
        assert (
            first.post("/api/predict/", {"image": one_data_uri()}, format="json").status_code == 429
        )
        assert (
            second.post("/api/predict/", {"image": one_data_uri()}, format="json").status_code
            == 201
        )


class TestAccess:
    @pytest.mark.parametrize(
        "url",
        [
            "/admin/recognizer/prediction/",
            "/admin/recognizer/prediction/statistics/",
        ],
    )
    def test_the_admin_and_statistics_need_a_staff_login(self, client, url):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")

    @pytest.mark.parametrize("url", ["/api/predictions/", "/api/predictions/1/"])
    def test_the_history_api_needs_staff(self, url, django_user_model):
        assert APIClient().get(url).status_code == 401
        user = django_user_model.objects.create_user("visitor", password="a-long-password")
        api = APIClient()
        api.force_authenticate(user)
        assert api.get(url).status_code == 403


class TestCSRF:
    def test_the_page_sends_the_token_the_api_checks(self, client):
        page = client.get("/").content.decode()
        assert 'name="csrf-token"' in page
        script = (ROOT / "static/recognizer/js/draw.js").read_text()
        assert '"X-CSRFToken"' in script

    def test_a_cross_site_post_with_the_session_cookie_fails(self, client):
        client.get("/")  # the victim's browser has a session
        forged = APIClient(enforce_csrf_checks=True)
        forged.cookies = client.cookies
        response = forged.post(
            "/api/predict/",
            {"image": one_data_uri()},
            format="json",
            headers={"Origin": "https://evil.example", "X-CSRFToken": "forged-token-value"},
        )
        assert response.status_code == 403
        assert "CSRF" in response.json()["detail"]


class TestHeaders:
    def test_every_page_has_the_security_headers(self, client):
        for url in ["/", "/api/model/", "/healthz", "/admin/login/"]:
            response = client.get(url)
            policy = response["Content-Security-Policy"]
            assert "script-src 'self'" in policy
            assert "style-src 'self';" in policy
            assert "frame-ancestors 'none'" in policy
            assert response["X-Content-Type-Options"] == "nosniff"
            assert response["X-Frame-Options"] == "DENY"
            assert response["Referrer-Policy"] == "same-origin"

    def test_the_api_docs_alone_allow_inline_styles(self, client):
        policy = client.get("/api/docs/")["Content-Security-Policy"]
        assert "style-src 'self' 'unsafe-inline'" in policy
        assert "script-src 'self';" in policy

    def test_the_page_has_no_inline_script_or_style(self, client):
        page = client.get("/").content.decode()
        assert "<script>" not in page and "<style" not in page and "style=" not in page


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a-production-secret-key-that-is-long-and-random-4f9a8c7e2d1b0a3f5e6d7c8b9a",
    "ALLOWED_HOSTS": "digits.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://digits.example.com",
}


def test_check_deploy_is_clean_with_production_settings():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", check=False, inherit=False, **PRODUCTION
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_missing_secret_key_is_a_clear_error_in_production():
    result = manage("check", check=False, inherit=False, **{**PRODUCTION, "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
