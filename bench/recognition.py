"""Recognition cost benchmark: CPU time of one prediction, step by step.

Decodes, preprocesses and classifies synthetic canvas-like drawings (280x280
PNGs, transparent background) one at a time, as the API does, with the model
in service (the project's own, as `make run` serves it) or a freshly trained one
(--train, which also times training from nothing). Prints the per-drawing
CPU milliseconds (process time: what the prediction costs the machine, not
what other processes add) at p50 and p95 for each step and for all three
together, and what the classifier step would cost as one scikit-learn
MLPClassifier call per ensemble member (averaged, as a soft-voting
VotingClassifier does) instead of the ensemble's stacked forward pass:

    .venv/bin/python bench/recognition.py
    .venv/bin/python bench/recognition.py --train    # also: seconds to train

`--handwriting IMAGES,LABELS` (MNIST's IDX test files, gzipped or not) also
prints the accuracy on real handwriting drawn canvas-style: ``--per-digit``
digits of each class (200: 2,000 in all), each enlarged bilinearly to a
280x280 canvas PNG, black ink on transparency, and decoded as the API does.

Figures depend on the machine's load: run it on a quiet machine.
"""

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
# One BLAS thread, as in the served processes (gunicorn.conf.py).
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402

from recognizer.ml import canvas, datasets, training  # noqa: E402
from recognizer.ml.decoding import decode_drawing  # noqa: E402
from recognizer.ml.listings import Problem  # noqa: E402
from recognizer.ml.synthetic import synthetic_digit_sets  # noqa: E402


def percentiles(samples: list[float]) -> str:
    ms = np.array(samples) * 1000
    return f"p50 {np.percentile(ms, 50):6.3f} ms   p95 {np.percentile(ms, 95):6.3f} ms"


def member_classifiers(pipeline: Pipeline) -> list[MLPClassifier]:
    """Return MLPClassifiers shaped like the ensemble's members, fitted on noise for
    one iteration: the cost of a scikit-learn call does not depend on the weights."""
    ensemble = pipeline.named_steps["classifier"]
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 16, (100, ensemble.n_features_in_))
    y = np.arange(100) % len(ensemble.classes_)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return [
            MLPClassifier(ensemble.hidden_layer_sizes, max_iter=1, random_state=i).fit(X, y)
            for i in range(ensemble.n_members)
        ]


def handwriting_accuracy(pipeline: Pipeline, files: str, per_digit: int) -> str:
    """Return the accuracy line on the first ``per_digit`` IDX digits of each class,
    drawn as canvas PNGs."""
    spec = datasets.parse_dataset(f"idx:{files}")
    source = datasets.open_dataset(spec)
    chosen = np.concatenate(
        [np.flatnonzero(source.labels == digit)[:per_digit] for digit in range(10)]
    )
    inks, labels = [], []
    for index, ink in source.listing.load(np.sort(chosen)):
        if isinstance(ink, Problem):  # refused as an upload would be (a speck, say)
            continue
        png = canvas.canvas_png(canvas.enlarge(ink, "bilinear"), background="transparent")
        inks.append(decode_drawing(png, max_side=2048).ink)
        labels.append(source.labels[index])
    right = pipeline.predict(inks) == np.array(labels)
    skipped = len(chosen) - len(right)
    return (
        f"real handwriting ({spec}), drawn 280x280: {right.mean():.2%} of {len(right)}"
        f" ({skipped} refused as uploads)"
    )


def model_in_service() -> object:
    """The model that `make run` serves: the project's settings and database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digitsite.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from recognizer.registry.serving import load_version

    return load_version()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", action="store_true", help="train a model from nothing first")
    parser.add_argument("--drawings", type=int, default=500, help="drawings to time [500]")
    parser.add_argument("--handwriting", help="IMAGES,LABELS: IDX files of real digits to score")
    parser.add_argument("--per-digit", type=int, default=200, help="real digits a class [200]")
    args = parser.parse_args()

    if args.train:
        started = time.perf_counter()
        result = training.train()
        print(
            f"training from nothing: {time.perf_counter() - started:.1f} s wall "
            f"on {os.cpu_count()} cores (test accuracy {result.metadata['test_accuracy']:.2%})"
        )
        pipeline = result.pipeline
    else:
        pipeline = model_in_service().pipeline

    if args.handwriting:
        print(handwriting_accuracy(pipeline, args.handwriting, args.per_digit))
    per_class = max(args.drawings // 10, 1)
    pngs = synthetic_digit_sets(per_class, seed=1, backgrounds=("transparent",))[0]["transparent"]
    members = member_classifiers(pipeline)
    steps: dict[str, list[float]] = {"decode": [], "preprocess": [], "predict": [], "total": []}
    per_member: list[float] = []
    for png in pngs[:3]:  # warm caches
        pipeline[1:].predict_proba(pipeline[:1].transform([decode_drawing(png, max_side=2048).ink]))
    for png in pngs:
        t0 = time.process_time()
        ink = decode_drawing(png, max_side=2048).ink
        t1 = time.process_time()
        features = pipeline[:1].transform([ink])  # as the model service runs it
        t2 = time.process_time()
        pipeline[1:].predict_proba(features)
        t3 = time.process_time()
        np.mean([member.predict_proba(features) for member in members], axis=0)
        per_member.append(time.process_time() - t3)
        steps["decode"].append(t1 - t0)
        steps["preprocess"].append(t2 - t1)
        steps["predict"].append(t3 - t2)
        steps["total"].append(t3 - t0)
    print(f"{len(pngs)} drawings, CPU time per drawing:")
    for name, samples in steps.items():
        print(f"  {name:10} {percentiles(samples)}   mean {statistics.mean(samples) * 1000:.3f} ms")
    print(
        f"predict as {len(members)} MLPClassifier calls, averaged: {percentiles(per_member)}   "
        f"mean {statistics.mean(per_member) * 1000:.3f} ms"
    )


if __name__ == "__main__":
    main()
