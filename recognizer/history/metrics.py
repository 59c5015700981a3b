"""The app's own Prometheus metrics, and the functions that record them.

Counters and histograms are kept by each process (under gunicorn in
PROMETHEUS_MULTIPROC_DIR, summed at each scrape); what the database knows,
the same on every server, is read at scrape time (`recognizer.web.metrics`).
Every label has a bounded set of values: no ids, no free text.
"""

from collections.abc import Sequence

from prometheus_client import Counter, Histogram

from recognizer.models import Prediction

# Where a prediction came from: the drawing page, the API, or a batch (either).
BATCH = "batch"

PREDICTIONS = Counter(
    "recognizer_predictions",
    "Drawings guessed and stored, by model version, guessed digit and source (page, api, batch).",
    ["model_version", "digit", "source"],
)
CONFIDENCE = Histogram(
    "recognizer_prediction_confidence",
    "The guessed digit's probability, by model version.",
    ["model_version"],
    buckets=(0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0),
)
PREDICTION_SECONDS = Histogram(
    "recognizer_prediction_seconds",
    "Seconds the model took to guess the drawings of one request (the served and "
    "the challenger's guesses), request handling and storage excluded.",
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
REJECTED_DRAWINGS = Counter(
    "recognizer_rejected_drawings",
    "Drawings refused before guessing, by error code (empty_drawing, drawing_too_small, ...).",
    ["code"],
)
LABELS = Counter(
    "recognizer_labels",
    "Labels given to drawings (by the person drawing, an API caller or staff), "
    "by whether the guess was correct.",
    ["correct"],
)
CHALLENGER_AGREEMENT = Counter(
    "recognizer_challenger_agreement",
    "Drawings the challenger guessed too, by whether it guessed the served digit.",
    ["agreed"],
)


def flag(value: bool) -> str:
    """Return a label value for a yes/no: "true" or "false"."""
    return "true" if value else "false"


def predictions_observed(predictions: Sequence[Prediction], *, source: str, seconds: float) -> None:
    """Count stored predictions, their confidence and the challenger's agreement, and
    the seconds the model spent on them."""
    PREDICTION_SECONDS.observe(seconds)
    for prediction in predictions:
        version = prediction.model_version
        PREDICTIONS.labels(version, str(prediction.digit), source).inc()
        CONFIDENCE.labels(version).observe(prediction.confidence)
        if prediction.challenger_digit is not None:
            agreed = prediction.challenger_digit == prediction.digit
            CHALLENGER_AGREEMENT.labels(flag(agreed)).inc()


def drawing_rejected(code: str) -> None:
    """Count a drawing refused with this error code."""
    REJECTED_DRAWINGS.labels(code).inc()


def labels_observed(*, correct: int = 0, wrong: int = 0) -> None:
    """Count labels given: how many said the guess was correct, how many wrong."""
    if correct:
        LABELS.labels("true").inc(correct)
    if wrong:
        LABELS.labels("false").inc(wrong)
