"""How far a model's shown confidence is from how often it is right."""

from __future__ import annotations

import numpy as np


def calibration(
    proba: np.ndarray, labels: np.ndarray, n_bins: int = 10
) -> tuple[float, list[dict[str, float]]]:
    """ECE and per-bin (confidence, accuracy, count) of the top class probability."""
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == labels
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    table = []
    for b in range(n_bins):
        sel = bins == b
        if not sel.any():
            continue
        conf, acc = float(confidence[sel].mean()), float(correct[sel].mean())
        ece += sel.mean() * abs(conf - acc)
        table.append(
            {"low": b / n_bins, "confidence": conf, "accuracy": acc, "count": int(sel.sum())}
        )
    return float(ece), table
