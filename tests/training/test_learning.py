"""Learning on its own: RETRAIN_AFTER_LABELS queues one training when labels cross the
threshold, however many threads count at once; AUTO_PROMOTE promotes a challenger
only on significant evidence (McNemar's exact test)."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from recognizer.history import services
from recognizer.jobs import retraining
from recognizer.models import Job, ModelActivation, ModelVersion, Prediction
from recognizer.registry import services as registry
from recognizer.training import promotion

PROBABILITIES = [0.1] * 10


def stored(count: int, **fields) -> list[Prediction]:
    """Rows of drawings (no files: only their guesses and labels matter here)."""
    start = Prediction.objects.count()
    return Prediction.objects.bulk_create(
        Prediction(
            drawing=f"drawings/tests/{start + index}.png",
            features=[],
            digit=fields.get("digit", 1),
            confidence=0.5,
            probabilities=PROBABILITIES,
            model_version=fields.get("model_version", "x"),
            challenger_version=fields.get("challenger_version"),
            challenger_digit=fields.get("challenger_digit"),
            challenger_confidence=0.5 if fields.get("challenger_digit") is not None else None,
            label=fields.get("label"),
            labelled_at=timezone.now() if fields.get("label") is not None else None,
        )
        for index in range(count)
    )


def label_in_thread(predictions: list[Prediction], start: threading.Barrier) -> None:
    try:
        start.wait()
        for prediction in predictions:
            services.prediction_label(
                prediction=prediction, label=7, labeller=Prediction.Labeller.STAFF
            )
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_labels_crossing_the_threshold_from_two_threads_queue_exactly_one_training(settings):
    settings.RETRAIN_AFTER_LABELS = 20
    rows = stored(21)
    services.prediction_label(prediction=rows[0], label=7, labeller=Prediction.Labeller.STAFF)
    start = threading.Barrier(2)
    threads = [
        threading.Thread(target=label_in_thread, args=(part, start))
        for part in (rows[1:11], rows[11:20])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Job.objects.count() == 1  # the 20th label, whichever thread gave it
    job = Job.objects.get()
    assert job.kind == Job.Kind.TRAIN
    assert job.parameters == retraining.AUTOMATIC_TRAINING
    assert job.requested_via == "RETRAIN_AFTER_LABELS=20"
    services.prediction_label(prediction=rows[20], label=7, labeller=Prediction.Labeller.STAFF)
    assert Job.objects.count() == 1  # counting starts again


@pytest.mark.django_db(transaction=True)
def test_bulk_labels_count_too_and_nothing_is_queued_when_off(settings, staff_user):
    rows = stored(5)
    services.predictions_label(
        predictions=Prediction.objects.filter(pk__in=[r.pk for r in rows]), label=3, user=staff_user
    )
    assert not Job.objects.exists()  # RETRAIN_AFTER_LABELS unset
    settings.RETRAIN_AFTER_LABELS = 5
    services.predictions_label(
        predictions=Prediction.objects.filter(pk__in=[r.pk for r in rows]), label=3, user=staff_user
    )
    assert Job.objects.count() == 1


@pytest.fixture
def challenger(model_in_service, other_version) -> ModelVersion:
    registry.model_version_challenge(version=other_version.version, via="tests")
    return ModelVersion.objects.get(pk=other_version.pk)


def history(served: ModelVersion, challenger: ModelVersion, *, both: int, alone: int, lost: int):
    """Labelled drawings both guessed: right together, the challenger alone, the served alone."""
    common = {"model_version": served.version, "challenger_version": challenger.version}
    stored(both, digit=4, challenger_digit=4, label=4, **common)
    stored(alone, digit=2, challenger_digit=4, label=4, **common)
    stored(lost, digit=4, challenger_digit=2, label=4, **common)


@pytest.mark.django_db
def test_a_clearly_better_challenger_is_promoted_automatically(
    settings, model_in_service, challenger
):
    settings.AUTO_PROMOTE = True
    history(model_in_service, challenger, both=160, alone=40, lost=10)
    evidence = promotion.challenger_evidence()
    assert (evidence.labelled, evidence.only_challenger_right, evidence.only_served_right) == (
        210,
        40,
        10,
    )
    assert evidence.p_value < 0.001
    services.labels_given_send(label=4, count=1)
    assert ModelVersion.objects.get(role=ModelVersion.Role.IN_SERVICE) == challenger
    promoted = ModelActivation.objects.filter(action=ModelActivation.Action.PROMOTE).get()
    assert promoted.via.startswith("automatic promotion")
    assert promoted.previous == model_in_service


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("both", "alone", "lost", "why"),
    [
        (170, 22, 18, "not significantly better"),  # p about 0.6
        (100, 40, 10, "not enough labelled drawings yet"),  # 150 < 200
        (160, 10, 40, "not significantly better"),  # significantly worse
    ],
)
def test_without_the_evidence_nothing_changes(
    settings, admin_client, model_in_service, challenger, both, alone, lost, why
):
    settings.AUTO_PROMOTE = True
    history(model_in_service, challenger, both=both, alone=alone, lost=lost)
    services.labels_given_send(label=4, count=1)
    assert ModelVersion.objects.get(role=ModelVersion.Role.IN_SERVICE) == model_in_service
    assert ModelVersion.objects.get(role=ModelVersion.Role.CHALLENGER) == challenger
    page = admin_client.get("/admin/recognizer/modelversion/")
    assert f'<td id="evidence-verdict">{why}</td>'.encode() in page.content


@pytest.mark.django_db
def test_no_promotion_when_the_setting_is_off(model_in_service, challenger):
    history(model_in_service, challenger, both=160, alone=40, lost=10)
    services.labels_given_send(label=4, count=1)
    assert ModelVersion.objects.get(role=ModelVersion.Role.IN_SERVICE) == model_in_service
