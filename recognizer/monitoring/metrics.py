"""What /metrics reads from the database about the models at work: the same on every
server, so Prometheus queries take it with max(), not sum()."""

from prometheus_client import Metric
from prometheus_client.core import GaugeMetricFamily

from recognizer.models import DriftCheck, ModelVersion

ROLE_LABELS = {
    ModelVersion.Role.IN_SERVICE: "in_service",
    ModelVersion.Role.CHALLENGER: "challenger",
}


def model_info() -> Metric:
    """Return recognizer_model_info: 1 for each version with a role (in service, challenger)."""
    family = GaugeMetricFamily(
        "recognizer_model_info",
        "The model versions at work: 1 for the one in service (role in_service) and the "
        "challenger.",
        labels=["version", "role"],
    )
    for version, role in ModelVersion.objects.exclude(role="").values_list("version", "role"):
        family.add_metric([version, ROLE_LABELS[role]], 1)
    return family


def latest_drift() -> Metric:
    """Return recognizer_drift: the PSI of each dimension in the latest drift check."""
    family = GaugeMetricFamily(
        "recognizer_drift",
        "Population stability index of the latest drift check of the model in service "
        "against its evaluation set, by dimension (digits, confidence); above 0.2 is a shift.",
        labels=["dimension"],
    )
    latest = DriftCheck.objects.order_by("-checked_at", "-id").first()
    if latest is not None:
        family.add_metric(["digits"], latest.digits_psi)
        family.add_metric(["confidence"], latest.confidence_psi)
    return family
