"""Scores of a model: on the drawing-like evaluation sets and on any data set.

The figures are printed by `evaluate_model` and `train_model` and kept with
the model in the registry (shown by /api/model/), with the profile of its
guesses there: the baseline its drift checks compare recent guesses with.
"""

from collections.abc import Sequence
from functools import partial

import numpy as np
from django.conf import settings

from recognizer.ml import drift, evaluation, refusals
from recognizer.ml.datasets import Dataset, split
from recognizer.ml.decoding import decode_drawing
from recognizer.ml.listings import Problem
from recognizer.ml.progress import Progress

# Synthetic drawings per digit and background in the evaluation recorded with
# each model: about 30 seconds of rendering and scoring for 2,900 drawings.
EVALUATION_PER_CLASS = 100
# Synthetic non-digits per kind (eight kinds) in the refusal figures.
NON_DIGITS_PER_KIND = 100
# Where a version keeps its drift baseline in its metadata.
BASELINE_KEY = "drift_baseline"


def canvas_ink(data: bytes) -> np.ndarray:
    """Return the ink of an evaluation canvas (PNG bytes), decoded as the API decodes a
    drawing sent to it."""
    return decode_drawing(data, max_side=settings.MAX_IMAGE_SIDE).ink


def evaluate(pipeline: object, per_class: int | None = None) -> dict[str, evaluation.Evaluation]:
    """Return the scores on every drawing-like evaluation set, by set name; ``per_class``
    synthetic drawings per digit (default EVALUATION_PER_CLASS)."""
    sets = evaluation.standard_sets(canvas_ink, n_per_class=per_class or EVALUATION_PER_CLASS)
    return {
        name: evaluation.evaluate(pipeline, images, labels)
        for name, (images, labels) in sets.items()
    }


def refusal_rates(pipeline: object, per_class: int | None = None) -> dict[str, dict]:
    """Return the share refused as no digit of the synthetic non-digits (in all and by
    kind) and of each drawing-like set of digits, by set name; ``per_class`` synthetic
    drawings per digit and non-digits per kind (defaults: EVALUATION_PER_CLASS,
    NON_DIGITS_PER_KIND)."""
    sets = evaluation.standard_sets(canvas_ink, n_per_class=per_class or EVALUATION_PER_CLASS)
    non_digits = refusals.non_digit_set(canvas_ink, per_class or NON_DIGITS_PER_KIND)
    digits = {name: images for name, (images, _) in sets.items()}
    return refusals.refusal_rates(pipeline, non_digits, digits)


def evaluate_datasets(
    *,
    pipeline: object,
    datasets: Sequence[Dataset],
    held_out: float | None,
    progress: Progress | None = None,
) -> tuple[dict[str, evaluation.Evaluation], list[Problem]]:
    """Return the scores on each data set, by name (only its held-out part, as training
    keeps it, if ``held_out`` is a share), and what was skipped. ``progress(stage,
    done, total)`` counts images, stage "score:DATASET"."""
    scores, problems = {}, []
    for dataset in datasets:
        indices = None if held_out is None else split(dataset, held_out)[1]
        name = dataset.name if held_out is None else f"{dataset.name}, held out"
        score, skipped = evaluation.score_dataset(
            pipeline,
            dataset,
            indices,
            n_jobs=settings.TRAINING_JOBS,
            progress=progress and partial(progress, f"score:{dataset.name}"),
        )
        scores[name] = score
        problems += dataset.problems + skipped
    return scores, problems


def evaluation_metadata(scores: dict[str, evaluation.Evaluation]) -> dict[str, dict]:
    """Return the figures kept with a model and shown by /api/model/."""
    return {
        name: {
            "samples": score.n,
            "accuracy": round(score.accuracy, 4),
            "per_class": [round(value, 4) for value in score.per_class],
            "calibration_error": round(score.ece, 4),
            "confusion": score.confusion,
        }
        for name, score in scores.items()
    }


def drift_baseline(scores: dict[str, evaluation.Evaluation]) -> dict:
    """Return the baseline kept with a model: the profile of its guesses on the
    evaluation sets."""
    return drift.profile_of_scores(scores.values()).as_dict()
