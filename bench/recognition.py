"""Recognition cost benchmark: CPU time of one prediction, step by step.

Decodes, preprocesses and classifies synthetic canvas-like drawings (280x280
PNGs, transparent background) one at a time, as the API does, with the model
in service (MODEL_DIR, default var/models) or a freshly trained one
(--train, which also times training from nothing). Prints the per-drawing
CPU milliseconds (process time: what the prediction costs the machine, not
what other processes add) at p50 and p95 for each step and for all three
together:

    .venv/bin/python bench/recognition.py
    .venv/bin/python bench/recognition.py --train    # also: seconds to train

Figures depend on the machine's load: run it on a quiet machine.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
# One BLAS thread, as in the served processes (gunicorn.conf.py).
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import sklearn  # noqa: E402

from recognizer.ml import artifacts, training  # noqa: E402
from recognizer.ml.decoding import decode_drawing  # noqa: E402
from recognizer.ml.synthetic import synthetic_digit_sets  # noqa: E402


def percentiles(samples: list[float]) -> str:
    ms = np.array(samples) * 1000
    return f"p50 {np.percentile(ms, 50):6.3f} ms   p95 {np.percentile(ms, 95):6.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", action="store_true", help="train a model from nothing first")
    parser.add_argument("--drawings", type=int, default=500, help="drawings to time [500]")
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
        directory = Path(os.environ.get("MODEL_DIR", PROJECT / "var" / "models"))
        pipeline, _ = artifacts.load_artifact(directory, artifacts.active_version(directory))

    per_class = max(args.drawings // 10, 1)
    pngs = synthetic_digit_sets(per_class, seed=1, backgrounds=("transparent",))[0]["transparent"]
    features_step = pipeline.named_steps["features"]
    classifier = pipeline.named_steps["classifier"]
    steps: dict[str, list[float]] = {"decode": [], "preprocess": [], "predict": [], "total": []}
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        for png in pngs[:3]:  # warm caches
            classifier.predict_proba(
                features_step.transform([decode_drawing(png, max_side=2048).ink])
            )
        for png in pngs:
            t0 = time.process_time()
            ink = decode_drawing(png, max_side=2048).ink
            t1 = time.process_time()
            features = features_step.transform([ink])
            t2 = time.process_time()
            classifier.predict_proba(features)
            t3 = time.process_time()
            steps["decode"].append(t1 - t0)
            steps["preprocess"].append(t2 - t1)
            steps["predict"].append(t3 - t2)
            steps["total"].append(t3 - t0)
    print(f"{len(pngs)} drawings, CPU time per drawing:")
    for name, samples in steps.items():
        print(f"  {name:10} {percentiles(samples)}   mean {statistics.mean(samples) * 1000:.3f} ms")


if __name__ == "__main__":
    main()
