"""Realistic made-up history, for demos and tests at scale.

A small set of distinct drawings is rendered (recognizer/ml/synthetic.py),
decoded and guessed by the model in service exactly as live ones are; the
history draws from that set. Rows are spread over the past days, busier
towards the present and in time order (ids grow with time, as in real life);
a share is labelled with the digit really drawn (so some guesses are marked
wrong); older rows carry older model versions. Every row has its own file.
"""

import hashlib
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.utils import timezone

from recognizer.history.drawings import drawing_png
from recognizer.ml import decoding, synthetic
from recognizer.ml.guessing import LoadedModel
from recognizer.models import Prediction

SESSIONS = 2000
PAGE_SHARE = 0.7


@dataclass(frozen=True)
class DemoSettings:
    count: int
    days: int = 180
    labelled: float = 0.1
    versions: int = 3


@dataclass(frozen=True)
class Template:
    """One distinct drawing, as stored and as guessed."""

    truth: int
    png: bytes
    features: list[int]
    digit: int
    confidence: float
    probabilities: list[float]


def render_templates(count: int, model: LoadedModel, rng: random.Random) -> list[Template]:
    """Return `count` distinct canvas drawings, decoded and guessed as the API would."""
    templates = []
    drawing_rng = np.random.default_rng(rng.getrandbits(64))
    for index in range(count):
        truth = index % 10
        canvas = synthetic.synthetic_drawing(truth, drawing_rng)
        drawing = decoding.decode_drawing(
            drawing_png(decoding.to_grey(canvas)), max_side=canvas.width
        )
        guess = model.predict(drawing.ink)
        templates.append(
            Template(
                truth=truth,
                png=drawing_png(drawing.image),
                features=guess.features,
                digit=guess.digit,
                confidence=guess.confidence,
                probabilities=guess.probabilities,
            )
        )
    return templates


def model_versions(model: LoadedModel, count: int) -> list[str]:
    """Return `count` version names, oldest first, the last being the model in service."""
    older = [
        hashlib.sha256(f"{model.version}:{index}".encode()).hexdigest()[:12]
        for index in range(count - 1)
    ]
    return [*older, model.version]


def demo_predictions(
    settings: DemoSettings, templates: list[Template], versions: list[str], rng: random.Random
) -> Iterator[tuple[Prediction, bytes]]:
    """Yield unsaved predictions, oldest first, each with its drawing's PNG bytes."""
    now = timezone.now()
    span = timedelta(days=settings.days).total_seconds()
    sessions = [uuid.uuid4().hex for _ in range(SESSIONS)]
    # Busier towards the present: the density of rows grows linearly with time.
    ages = sorted((1 - rng.random() ** 0.5 for _ in range(settings.count)), reverse=True)
    for age in ages:
        template = templates[rng.randrange(len(templates))]
        created_at = now - timedelta(seconds=age * span)
        from_page = rng.random() < PAGE_SHARE
        label = template.truth if rng.random() < settings.labelled else None
        labeller = Prediction.Labeller.SESSION if from_page else Prediction.Labeller.TOKEN
        prediction = Prediction(
            created_at=created_at,
            features=template.features,
            digit=template.digit,
            confidence=template.confidence,
            probabilities=template.probabilities,
            model_version=versions[min(len(versions) - 1, int((1 - age) * len(versions)))],
            label=label,
            labelled_at=None
            if label is None
            else created_at + timedelta(minutes=rng.uniform(0.5, 600)),
            labeller="" if label is None else labeller,
            source=Prediction.Source.PAGE if from_page else Prediction.Source.API,
            session_key=rng.choice(sessions) if from_page else "",
        )
        yield prediction, template.png
