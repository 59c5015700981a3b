"""How well each way of telling "not a digit" does: refused non-digits against refused digits.

Trains the default model's features (load_digits and its distorted copies,
as `train_model` does, plus any --dataset) once, then for each candidate
chooses its threshold on held-out training rows so that at most 1% of those
digits are refused, and prints, on sets none of them learnt from: the share
of synthetic non-digits refused (recognizer/ml/nondigits.py, evaluation
seed, decoded from canvas PNGs), of synthetic pen-stroke digits refused, of
load_digits' test quarter drawn 280x280 refused, and of each --dataset's
held-out part refused:

    .venv/bin/python bench/not_a_digit.py
    .venv/bin/python bench/not_a_digit.py --dataset digits --dataset folder:mnist-5000

Candidates: the ensemble's own signals (top probability, mutual information
between members, energy, maximum logit) and each NotADigit method; then the
one chosen as training fits it (the classifier, also told synthetic pen-drawn
digits of a seed of their own) at 2% (the default) and 1% of held-out digits.
"""

import argparse
import os
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

import numpy as np  # noqa: E402
from scipy.special import logsumexp  # noqa: E402
from sklearn.model_selection import GroupShuffleSplit  # noqa: E402

from recognizer.ml import datasets, featurising, nondigits, training  # noqa: E402
from recognizer.ml.decoding import decode_drawing  # noqa: E402
from recognizer.ml.ensemble import _logits  # noqa: E402
from recognizer.ml.evaluation import canvas_png, drawn_large_set  # noqa: E402
from recognizer.ml.novelty import METHODS, NOT_A_DIGIT, NotADigit  # noqa: E402
from recognizer.ml.synthetic import synthetic_digit_sets  # noqa: E402

MAX_SIDE = 2048
DIGIT_REFUSALS = 0.01


def decode(png: bytes) -> np.ndarray:
    return decode_drawing(png, max_side=MAX_SIDE).ink


def ensemble_scores(ensemble, X: np.ndarray) -> dict[str, np.ndarray]:
    """Return each ensemble signal's score (higher: less like a digit)."""
    logits = _logits((ensemble.coefs_, ensemble.intercepts_), X) / ensemble.temperature_
    members = np.exp(logits - logsumexp(logits, axis=-1, keepdims=True))
    mean = members.mean(axis=0)

    def entropy(p: np.ndarray) -> np.ndarray:
        return -(p * np.log(np.clip(p, 1e-12, 1))).sum(axis=-1)

    return {
        "ensemble: 1 - top probability": 1 - mean.max(axis=1),
        "ensemble: mutual information": entropy(mean) - entropy(members).mean(axis=0),
        "ensemble: energy": -logsumexp(logits.mean(axis=0), axis=1),
        "ensemble: - max logit": -logits.mean(axis=0).max(axis=1),
    }


def evaluation_sets(features, sources) -> dict[str, np.ndarray]:
    """Return the feature rows of every evaluation set, by name."""
    images, _ = nondigits.non_digits(100, nondigits.EVALUATION_SEED)
    sets = {
        "non-digits": features.transform([decode(canvas_png(i, "transparent")) for i in images])
    }
    pngs, _ = synthetic_digit_sets(100, seed=0, backgrounds=("white",))
    sets["synthetic digits"] = features.transform([decode(png) for png in pngs["white"]])
    inks, _ = drawn_large_set("bilinear", decode)
    sets["load_digits test"] = features.transform(inks)
    for source in sources:
        if source.spec.kind != "digits":
            _, held = datasets.split(source)
            rows = featurising.featurise(source, features.transform, held)
            sets[f"{source.name} held out"] = rows.X
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", action="append", default=[], help="as train_model's")
    parser.add_argument("--factor", type=int, default=training.DEFAULT_FACTOR)
    args = parser.parse_args()
    specs = [datasets.parse_dataset(text) for text in args.dataset] or [
        datasets.DatasetSpec("digits")
    ]
    sources = [datasets.open_dataset(spec) for spec in specs]
    pipeline = training.build_pipeline(random_state=0, n_jobs=-1)
    features = pipeline["features"]
    copies = training.copies_by_source(
        sources, factor=args.factor, import_factor=None, held_out=datasets.HELD_OUT
    )
    imported = featurising.import_datasets(
        sources,
        features.transform,
        augment=lambda s: training.augmenter(
            s, features=features, copies=copies, seed=0, history_repeat=training.EXTRA_REPEAT
        ),
        n_jobs=-1,
    )
    negatives = training.non_digit_rows(features.transform)
    drawn_X, drawn_y = training.drawn_digit_rows(features.transform)
    sets = evaluation_sets(features, sources)
    print(f"training rows: {len(imported.y)} digits, {len(negatives)} non-digits", flush=True)

    learn, check = next(
        GroupShuffleSplit(1, test_size=0.2, random_state=0).split(
            imported.X, imported.y, imported.groups
        )
    )
    ensemble = pipeline["classifier"].fit(
        imported.X[learn], imported.y[learn], groups=imported.groups[learn]
    )
    thresholds = {
        name: np.quantile(score, 1 - DIGIT_REFUSALS)
        for name, score in ensemble_scores(ensemble, imported.X[check]).items()
    }
    refused = {name: {} for name in thresholds}
    for set_name, X in sets.items():
        for name, score in ensemble_scores(ensemble, X).items():
            refused[name][set_name] = (score > thresholds[name]).mean()

    X = np.concatenate([imported.X, negatives])
    y = np.concatenate([imported.y, np.full(len(negatives), NOT_A_DIGIT)])
    groups = np.concatenate(
        [imported.groups, imported.groups.max() + 1 + np.arange(len(negatives))]
    )
    for method in METHODS:
        step = NotADigit(method, digit_refusals=DIGIT_REFUSALS).fit(X, y, groups=groups)
        refused[method] = {name: step.refuse(rows).mean() for name, rows in sets.items()}
        print(f"{method}: threshold {step.threshold_:.4g}", flush=True)
    # The chosen one as training fits it: also told pen-drawn digits (their own seed).
    for share in (2 * DIGIT_REFUSALS, DIGIT_REFUSALS):
        X2 = np.concatenate([imported.X, drawn_X, negatives])
        y2 = np.concatenate([imported.y, drawn_y, np.full(len(negatives), NOT_A_DIGIT)])
        groups2 = np.concatenate(
            [imported.groups, imported.groups.max() + 1 + np.arange(len(X2) - len(imported.X))]
        )
        step = NotADigit("classifier", digit_refusals=share).fit(X2, y2, groups=groups2)
        name = f"classifier + drawn digits, {share:.1%}"
        refused[name] = {set_name: step.refuse(rows).mean() for set_name, rows in sets.items()}

    names = list(sets)
    print(f"\n{'candidate':34}" + "".join(f"{name[:22]:>24}" for name in names))
    for candidate, row in refused.items():
        print(f"{candidate:34}" + "".join(f"{row[name]:24.1%}" for name in names))


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
