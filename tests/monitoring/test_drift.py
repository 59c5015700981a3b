"""Drift checks on histories built to drift (only 1s; drawings with half the usual ink)
and on one built not to, against a baseline made as training makes it.

The figures are printed (run with -s to see them).
"""

import datetime
import io
import time

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from PIL import Image

from recognizer.history import services
from recognizer.history.drawings import drawing_ink
from recognizer.jobs import runner
from recognizer.ml import evaluation, synthetic
from recognizer.ml.decoding import Drawing, decode_drawing
from recognizer.models import DriftCheck, DriftSchedule
from recognizer.monitoring import drift
from recognizer.registry import evaluation as model_evaluation
from tests.support.canvases import png_bytes
from tests.support.scraping import AUTH, TOKEN
from tests.support.workers import worker

pytestmark = pytest.mark.django_db

PER_DIGIT = 30  # 300 drawings: the baseline's set, and each history
WINDOW = 300


def synthetic_pngs(seed: int) -> list[bytes]:
    """PER_DIGIT canvas drawings of each digit, as the drawing page sends them."""
    pngs, _ = synthetic.synthetic_digit_sets(PER_DIGIT, seed, backgrounds=("transparent",))
    return pngs["transparent"]


def drawings_of_1(seed: int) -> list[bytes]:
    """As many canvas drawings, all of the digit 1."""
    rng = np.random.default_rng(seed)
    images = [synthetic.synthetic_drawing(1, rng) for _ in range(PER_DIGIT * 10)]
    return [png_bytes(image) for image in images]


def lower_half_wiped(png: bytes) -> bytes:
    """The drawing with the lower half of its ink wiped out: half the usual ink."""
    rgba = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA")).copy()
    rows = np.nonzero(rgba[..., 3].any(axis=1))[0]
    rgba[(rows.min() + rows.max()) // 2 :, :, 3] = 0
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="session")
def baseline(training_result) -> dict:
    """The test model's baseline, made as training makes it, on a synthetic set."""
    pngs, labels = synthetic.synthetic_digit_sets(PER_DIGIT, 0, backgrounds=("transparent",))
    inks = [drawing_ink(png) for png in pngs["transparent"]]
    scores = {"synthetic": evaluation.evaluate(training_result.pipeline, inks, labels)}
    return model_evaluation.drift_baseline(scores)


@pytest.fixture
def served(model_in_service, baseline, settings):
    """The model in service with its baseline kept, checked over the last WINDOW guesses."""
    settings.DRIFT_WINDOW = WINDOW
    model_in_service.metadata = {
        **model_in_service.metadata,
        model_evaluation.BASELINE_KEY: baseline,
    }
    model_in_service.save(update_fields=["metadata"])
    return model_in_service


def decoded(pngs: list[bytes]) -> list[Drawing]:
    """The drawings as the API decodes them."""
    return [decode_drawing(png, max_side=2048) for png in pngs]


@pytest.fixture(scope="session")
def like_evaluation() -> list[Drawing]:
    return decoded(synthetic_pngs(seed=7))


@pytest.fixture(scope="session")
def only_1s() -> list[Drawing]:
    return decoded(drawings_of_1(seed=7))


@pytest.fixture(scope="session")
def half_ink() -> list[Drawing]:
    return decoded([lower_half_wiped(png) for png in synthetic_pngs(seed=7)])


def history(drawings: list[Drawing]) -> None:
    """Guess and store the drawings, as the API does."""
    for start in range(0, len(drawings), 100):
        services.predictions_create(drawings=drawings[start : start + 100])


def checked(name: str) -> DriftCheck:
    check = drift.drift_check_create()
    print(
        f"\n{name}: PSI digits {check.digits_psi:.3f}, confidence {check.confidence_psi:.3f}, "
        f"mean confidence {check.recent['mean_confidence']:.3f} "
        f"(baseline {check.baseline['mean_confidence']:.3f}), {check.predictions} predictions"
    )
    return check


def reading(staff_client) -> tuple[str, str]:
    """The drift panel of the statistics page: its reading and its warning, as text."""
    page = staff_client.get("/admin/recognizer/prediction/statistics/").content.decode()
    panel = page[page.index('id="drift"') :]
    panel = panel[: panel.index("</section>")]
    warning = panel[panel.index('id="drift-warning"') :] if 'id="drift-warning"' in panel else ""
    return panel, warning


def test_a_history_drawn_like_the_evaluation_set_does_not_drift(
    served, staff_client, like_evaluation
):
    history(like_evaluation)
    check = checked("like the evaluation set")
    assert check.digits_psi < 0.1 and check.confidence_psi < 0.1
    panel, warning = reading(staff_client)
    assert "The drawings look like the training data" in panel
    assert not warning
    assert 'id="drift-chart"' in panel


def test_a_stream_of_only_1s_drifts_in_the_digits(served, staff_client, only_1s):
    history(only_1s)
    check = checked("only 1s")
    assert check.digits_psi > 0.2
    panel, warning = reading(staff_client)
    assert "More 1s than usual" in panel
    assert "alarm level" in warning


def test_drawings_with_half_the_usual_ink_make_the_model_less_sure(served, staff_client, half_ink):
    history(half_ink)
    check = checked("half the ink")
    assert check.confidence_psi > 0.2
    assert check.recent["mean_confidence"] < check.baseline["mean_confidence"] - 0.05
    panel, warning = reading(staff_client)
    assert "The model is less sure than when it was tested" in panel
    assert "alarm level" in warning


def test_each_check_is_kept_and_the_latest_is_exported(
    served, client, settings, only_1s, like_evaluation
):
    settings.METRICS_TOKEN = TOKEN
    history(only_1s)
    first = drift.drift_check_create()
    history(like_evaluation)
    latest = drift.drift_check_create()
    assert list(DriftCheck.objects.all()) == [latest, first]
    text = client.get("/metrics", headers=AUTH).content.decode()
    assert f'recognizer_drift{{dimension="digits"}} {latest.digits_psi}' in text
    assert f'recognizer_drift{{dimension="confidence"}} {latest.confidence_psi}' in text


def test_a_check_is_claimed_once_per_period_across_callers(settings):
    settings.DRIFT_EVERY = 15
    now = timezone.now()
    assert drift.drift_check_claim(now=now)
    assert not drift.drift_check_claim(now=now)  # a second server, at the same moment
    assert not drift.drift_check_claim(now=now + datetime.timedelta(minutes=14))
    assert drift.drift_check_claim(now=now + datetime.timedelta(minutes=15))
    assert DriftSchedule.objects.get().next_check_at == now + datetime.timedelta(minutes=30)


def test_a_due_check_with_too_few_predictions_stores_nothing(served, like_evaluation):
    history(like_evaluation[:50])
    assert drift.drift_check_if_due() is None
    assert not DriftCheck.objects.exists()
    assert drift.drift_check_if_due() is None  # not due again before DRIFT_EVERY minutes


def test_the_command_runs_a_due_check_and_says_what_it_means(served, only_1s):
    history(only_1s)
    out = io.StringIO()
    call_command("check_drift", "--if-due", stdout=out)
    assert "More 1s than usual" in out.getvalue()
    out = io.StringIO()
    call_command("check_drift", "--if-due", stdout=out)
    assert "No drift check was due" in out.getvalue()
    assert DriftCheck.objects.count() == 1


def test_a_version_without_a_baseline_gets_one_computed_and_kept(
    model_in_service, monkeypatch, settings, like_evaluation
):
    settings.DRIFT_WINDOW = 100
    assert model_evaluation.BASELINE_KEY not in model_in_service.metadata
    monkeypatch.setattr(model_evaluation, "EVALUATION_PER_CLASS", 1)
    history(like_evaluation[:100])
    check = drift.drift_check_create()
    model_in_service.refresh_from_db()
    kept = model_in_service.metadata[model_evaluation.BASELINE_KEY]
    # load_digits' 450 test images drawn two ways, and 1 synthetic drawing per digit twice.
    assert kept["samples"] == 2 * 450 + 2 * 10
    assert check.baseline == kept
    assert sum(kept["digits"]) == pytest.approx(1) and sum(kept["confidence"]) == pytest.approx(1)


def test_the_panel_says_when_no_check_ran_yet(staff_client):
    panel, _ = reading(staff_client)
    assert "No drift check yet" in panel


@pytest.mark.django_db(transaction=True)
def test_a_worker_checks_drift_on_its_own_then_waits_until_the_next_is_due(
    served, like_evaluation, tmp_path
):
    history(like_evaluation)
    runner.drift_watch_soon()  # as `migrate` does
    log = tmp_path / "worker.log"
    with worker(log, DRIFT_EVERY="15", DRIFT_WINDOW=str(WINDOW)):
        deadline = time.monotonic() + 90
        while not DriftCheck.objects.exists() or not runner.waiting(runner.drift_watch):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
    check = DriftCheck.objects.get()
    assert check.model_version == served.version
    assert check.digits_psi < 0.2
    upcoming = DBTaskResult.objects.get(
        task_path=runner.drift_watch.module_path, status=TaskResultStatus.READY
    )
    assert upcoming.run_after >= timezone.now() + datetime.timedelta(minutes=14)
