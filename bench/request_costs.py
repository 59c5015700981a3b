"""Where a stored prediction's CPU goes: each step alone, then whole requests.

In-process, with the production settings (DEBUG off), a throwaway copy of
the project's SQLite database (for the model in service, as `make run`
serves it) and a throwaway media folder. Renders synthetic 280x280 canvas drawings, as bench/load.py
sends, and times each step of a prediction on its own (process CPU, median
per drawing): reading the JSON body and its data URI, PNG decoding, turning
the picture into ink, the 8x8 features, the classifier, encoding the stored
PNG, writing its file, inserting its row and writing the answer. Then whole
requests through Django's WSGI handler (middleware, DRF, the view and all
those steps): the difference is what the framework adds. Then the same
drawings in batches of 10 and 100 (POST /api/predict/batch/), per drawing,
and single requests again with a challenger guessing in shadow (a copy of
the model in service with one parameter changed: another version of the
same cost), alternating drawing by drawing with requests where the process
sees no challenger, so that a drift of the machine hits both alike: the
difference is what a challenger adds to each prediction.
`--profile` also prints cProfile's top lines for whole requests, by own time.

    .venv/bin/python bench/request_costs.py
    .venv/bin/python bench/request_costs.py --profile 25

A running server costs more per request than this (its HTTP handling, and
other processes evicting its caches: bench/load.py measures that). Run it on
a quiet machine.
"""

import argparse
import base64
import copy
import cProfile
import io
import json
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
WORKDIR = tempfile.TemporaryDirectory(prefix="digits-costs-")
PROJECT_DATABASE = PROJECT / "var" / "db.sqlite3"
if not PROJECT_DATABASE.exists():
    raise SystemExit("No model yet: run `make run` once (it trains one), then try again.")
shutil.copyfile(PROJECT_DATABASE, f"{WORKDIR.name}/db.sqlite3")
os.environ.update(
    DJANGO_SETTINGS_MODULE="digitsite.settings",
    DEBUG="0",
    SECURE_SSL_REDIRECT="0",  # requests below are plain HTTP
    DATABASE_URL=f"sqlite:///{WORKDIR.name}/db.sqlite3",
    MEDIA_ROOT=f"{WORKDIR.name}/media",
    THROTTLE_PREDICT_ANON_RATE="1000000/second",
    ALLOWED_HOSTS="127.0.0.1",
    LOG_LEVEL="WARNING",
    OMP_NUM_THREADS="1",  # one BLAS thread, as in the served processes
)
os.environ.setdefault("SECRET_KEY", "cost-bench-only-not-secret")  # in-process, never served

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from rest_framework.renderers import JSONRenderer  # noqa: E402

from digitsite.wsgi import application  # noqa: E402
from recognizer.api.serializers import PredictionSerializer  # noqa: E402
from recognizer.history.drawings import drawing_png  # noqa: E402
from recognizer.ml import decoding  # noqa: E402
from recognizer.ml.guessing import Guess  # noqa: E402
from recognizer.ml.synthetic import synthetic_drawing  # noqa: E402
from recognizer.models import Prediction  # noqa: E402
from recognizer.registry import services as registry  # noqa: E402
from recognizer.registry.serving import served_models  # noqa: E402
from recognizer.storage import drawing_storage  # noqa: E402


def request_bodies(count: int, seed: int) -> list[bytes]:
    rng = np.random.default_rng(seed)
    bodies = []
    for index in range(count):
        buffer = io.BytesIO()
        synthetic_drawing(index % 10, rng).save(buffer, format="PNG")
        uri = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
        bodies.append(json.dumps({"image": uri}).encode())
    return bodies


def post(body: bytes, path: str = "/api/predict/") -> None:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    statuses = []
    b"".join(application(environ, lambda status, headers, exc_info=None: statuses.append(status)))
    if not statuses[0].startswith("201"):
        raise SystemExit(f"POST {path} answered {statuses[0]}")


def cpu_ms(costs: dict[str, list[float]], name: str, step: Callable, *args: object) -> object:
    """Run one step, adding its CPU milliseconds to costs[name]."""
    started = time.process_time()
    result = step(*args)
    costs.setdefault(name, []).append((time.process_time() - started) * 1000)
    return result


def read_body(body: bytes) -> bytes:
    return decoding.parse_data_uri(json.loads(body)["image"], max_bytes=settings.MAX_IMAGE_BYTES)


def insert_row(name: str, guess: Guess) -> Prediction:
    return Prediction.objects.create(drawing=name, **vars(guess))  # a guess's fields are the row's


def open_image(raw: bytes) -> object:
    return decoding.open_image(raw, max_side=settings.MAX_IMAGE_SIDE)


def answer(row: Prediction) -> bytes:
    return JSONRenderer().render(PredictionSerializer(row).data)


def step_costs(bodies: list[bytes]) -> dict[str, list[float]]:
    """Each drawing through every step in turn, as a request takes it: nothing
    big is kept from one drawing to the next, so memory is reused as in a server."""
    model = served_models().in_service()
    storage = drawing_storage()
    costs: dict[str, list[float]] = {}
    for body in bodies:
        raw = cpu_ms(costs, "JSON body and data URI", read_body, body)
        image = cpu_ms(costs, "PNG decoding", open_image, raw)
        grey = cpu_ms(costs, "greyscale picture", decoding.to_grey, image)
        # As the API makes it: reduced early, and checked (empty, speck, all ink).
        ink = cpu_ms(costs, "ink array", lambda grey: decoding.grey_drawing(grey).ink, grey)
        guess = cpu_ms(costs, "model service (features and classifier)", model.predict, ink)
        cpu_ms(costs, FEATURES, model.pipeline[:1].transform, [ink])
        png = cpu_ms(costs, "PNG to store", drawing_png, grey)
        name = f"costs/{uuid.uuid4().hex}.png"
        cpu_ms(costs, "file write", storage.save, name, ContentFile(png))
        row = cpu_ms(costs, "row insert", insert_row, name, guess)
        cpu_ms(costs, "answer (serializer and JSON)", answer, row)
    return costs


FEATURES = "8x8 features"


def batch_costs(bodies: list[bytes], size: int) -> float:
    """Return the median CPU milliseconds per drawing of whole batch requests of `size`."""
    uris = [json.loads(body)["image"] for body in bodies]
    batches = [
        json.dumps({"images": uris[start : start + size]}).encode()
        for start in range(0, len(uris) - size + 1, size)
    ]
    post(batches[0], BATCH)  # its first call
    costs: dict[str, list[float]] = {}
    for batch in batches:
        cpu_ms(costs, "batch", post, batch, BATCH)
    return statistics.median(costs["batch"]) / size


BATCH = "/api/predict/batch/"


def shadow_costs(bodies: list[bytes]) -> dict[str, float]:
    """Return the median CPU milliseconds of whole requests with the challenger and,
    alternating drawing by drawing, without it (this process is told there is none);
    then stop the challenger."""
    service = served_models()
    for body in bodies[:20]:  # the challenger's first calls
        post(body)
    costs: dict[str, list[float]] = {}
    for body in bodies:
        cpu_ms(costs, "whole request with the challenger", post, body)
        service.challenger = lambda: None  # this instance only, for the next request
        cpu_ms(costs, "whole request without it", post, body)
        del service.challenger
    medians = {name: statistics.median(values) for name, values in costs.items()}
    medians["what the challenger adds"] = statistics.median(
        [a - b for a, b in zip(*costs.values(), strict=True)]
    )
    registry.model_version_stop_challenge(via="bench/request_costs.py")
    time.sleep(settings.MODEL_RECHECK_SECONDS + 0.1)
    return medians


def start_challenger() -> str:
    """Make a copy of the model in service, one parameter changed, the challenger;
    return its version once this process serves it."""
    model = served_models().in_service()
    pipeline = copy.deepcopy(model.pipeline).set_params(features__min_ink=0.25)
    version = registry.model_version_create(
        pipeline=pipeline, metadata=model.metadata, trained_by="bench/request_costs.py"
    ).version
    registry.model_version_challenge(version=version, via="bench/request_costs.py")
    time.sleep(settings.MODEL_RECHECK_SECONDS + 0.1)
    if served_models().challenger() is None:
        raise SystemExit("the challenger did not load")
    return version


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drawings", type=int, default=400, help="distinct drawings [400]")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--profile", type=int, metavar="LINES", default=0, help="print cProfile's top lines"
    )
    options = parser.parse_args()

    call_command("migrate", verbosity=0)
    model = served_models().in_service()
    bodies = request_bodies(options.drawings, options.seed)
    for body in bodies[:20]:  # imports, caches and the model's first calls
        post(body)
    costs = {name: statistics.median(values) for name, values in step_costs(bodies).items()}
    whole = {}
    for body in bodies:
        cpu_ms(whole, "request", post, body)

    batches = {size: batch_costs(bodies, size) for size in (10, 100)}
    challenger = start_challenger()
    shadow = shadow_costs(bodies)

    features = costs.pop(FEATURES)
    print(f"{len(bodies)} drawings, model {model.version}; CPU ms per drawing (median)")
    for name, cost in costs.items():
        print(f"  {name:42s} {cost:6.3f}")
        if name.startswith("model service"):
            print(f"    {'of which the 8x8 features':40s} {features:6.3f}")
    print(f"  {'sum of the steps':42s} {sum(costs.values()):6.3f}")
    print(
        f"  {'whole request through Django and DRF':42s} {statistics.median(whole['request']):6.3f}"
    )
    for size, cost in batches.items():
        print(f"  {f'in batches of {size} (POST {BATCH})':42s} {cost:6.3f}")
    print(f"challenger {challenger} in shadow, requests alternating with and without it:")
    for name, cost in shadow.items():
        print(f"  {name:42s} {cost:6.3f}")

    if options.profile:
        profile = cProfile.Profile()
        profile.runcall(lambda: [post(body) for body in bodies])
        stats = pstats.Stats(profile).sort_stats("tottime")
        stats.print_stats(options.profile)


if __name__ == "__main__":
    try:
        main()
    finally:
        WORKDIR.cleanup()
