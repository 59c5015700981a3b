import json
from unittest import mock

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_model_info_describes_the_model_in_service(client, model_in_service):
    response = client.get("/api/model/")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == model_in_service.version
    assert body["sha256"] == model_in_service.sha256
    assert body["trained_by"] == "tests"
    digits = body["training_data"]["digits"]
    assert (digits["images"], digits["held_out"], digits["copies_each"]) == (1347, 450, 1)
    assert body["input_size"] == "8x8"
    assert body["algorithm"].startswith("MLPEnsemble")
    assert body["parameters"]["augmentation_factor"] == 1
    assert body["training_samples"] == 1347 * 2
    assert body["history_samples"] == 0
    assert 0.9 < body["cv_accuracy"] <= 1
    assert 0.9 < body["test_accuracy"] <= 1
    assert body["trained_at"]
    assert body["libraries"]["scikit-learn"]


def test_model_info_without_a_model_is_503(client, no_model):
    response = client.get("/api/model/")
    assert response.status_code == 503
    assert response.json()["code"] == "model_not_ready"
    assert "train_model" in response.json()["detail"]


def test_openapi_schema_documents_the_endpoints(client):
    response = client.get("/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    predict = schema["paths"]["/api/predict/"]["post"]
    assert set(predict["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert {"201", "400", "403", "413", "415", "429", "503"} <= set(predict["responses"])
    components = schema["components"]["schemas"]
    for form in predict["requestBody"]["content"].values():
        request_schema = components[form["schema"]["$ref"].rsplit("/", 1)[-1]]
        assert "replaces" in request_schema["properties"]
        assert request_schema["required"] == ["image"]
    assert "/api/model/" in schema["paths"]
    assert "/api/predict" not in schema["paths"]  # the tutorial's alias is not advertised


def test_api_docs_page_is_served_without_a_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    assert "cdn.jsdelivr.net" not in page


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_when_ready(client, model_in_service):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "cache": "ok",
        "storage": "ok",
        "model": "ok",
    }
    assert body["checks"]["model"]["version"] == model_in_service.version
    assert body["checks"]["storage"]["backend"] == "FileSystemStorage"


def test_readyz_fails_without_a_model(client, no_model):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["model"]["status"] == "error"
    assert "train_model" in body["checks"]["model"]["detail"]
    assert body["checks"]["database"]["status"] == "ok"


def test_readyz_fails_without_the_database(client):
    with mock.patch.object(CursorWrapper, "execute", side_effect=OperationalError("gone")):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["checks"]["database"] == {"status": "error", "detail": "gone"}


def schema(client) -> dict:
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"  # shown by a browser, not saved
    return response.json()


def test_the_documented_example_drawing_gets_a_guess(client):
    operation = schema(client)["paths"]["/api/predict/"]["post"]
    example = operation["requestBody"]["content"]["application/json"]["examples"]
    [body] = [entry["value"] for entry in example.values()]
    response = APIClient().post("/api/predict/", body, format="json")
    assert response.status_code == 201, response.content


def test_only_staff_operations_show_a_lock(client):
    paths = schema(client)["paths"]
    public = [
        paths["/api/predict/"]["post"],
        paths["/api/predict/batch/"]["post"],
        paths["/api/predictions/{id}/feedback/"]["post"],
        paths["/api/predictions/{id}/"]["delete"],
        paths["/api/model/"]["get"],
    ]
    staff = [paths["/api/predictions/"]["get"], paths["/api/predictions/{id}/"]["get"]]
    assert all(not any(requirement for requirement in op.get("security", [])) for op in public)
    assert all(op["security"] == [{"basicAuth": []}, {"sessionAuth": []}] for op in staff)


def test_the_bad_drawing_codes_are_documented(client):
    described = json.dumps(schema(client)["paths"]["/api/predict/"]["post"]["responses"]["400"])
    for code in ("invalid_image", "empty_drawing", "drawing_too_small", "drawing_all_ink"):
        assert code in described
