"""Reading /metrics as Prometheus would, for the tests."""

from prometheus_client.parser import text_string_to_metric_families

TOKEN = "a-metrics-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def scrape(client) -> dict[str, dict[tuple, float]]:
    """Return every sample of /metrics: by name, the value of each label set."""
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 200, response.content
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            labels = tuple(sorted(sample.labels.items()))
            samples.setdefault(sample.name, {})[labels] = sample.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get(name, {}).get(tuple(sorted(labels.items())), 0.0)
