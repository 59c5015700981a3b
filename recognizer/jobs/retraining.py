"""Learning on its own: a training job after every RETRAIN_AFTER_LABELS labels, whose
model becomes the challenger."""

import logging

from django.conf import settings
from django.db import transaction

from recognizer.jobs.runner import job_create
from recognizer.models import Job, LabelCount
from recognizer.training.services import CHALLENGE
from recognizer.training.sets import BUILT_IN

logger = logging.getLogger(__name__)

# What a training queued on its own learns from; its model becomes the challenger.
AUTOMATIC_TRAINING = {"datasets": BUILT_IN, "then": CHALLENGE}


def labels_given_count(*, label: int | None, count: int, **kwargs: object) -> None:
    """Count committed labels towards the next automatic training (connected to
    `labels_given` in `RecognizerConfig.ready`); clearing a label counts nothing."""
    if label is not None and count:
        retraining_maybe_queue(labels=count)


def retraining_maybe_queue(*, labels: int = 1) -> Job | None:
    """Count labels; once RETRAIN_AFTER_LABELS of them arrived since the last training
    was queued, queue one (one only, however many processes count at once: the
    counter's row is locked while counting). Return the job queued, if any."""
    every = settings.RETRAIN_AFTER_LABELS
    if every <= 0:
        return None
    LabelCount.objects.get_or_create(name=LabelCount.RETRAINING)
    with transaction.atomic():
        counter = LabelCount.objects.select_for_update().get(name=LabelCount.RETRAINING)
        counter.labels += labels
        due = counter.labels >= every
        counter.labels = 0 if due else counter.labels
        counter.save(update_fields=["labels"])
        if not due:
            return None
        job = job_create(
            kind=Job.Kind.TRAIN,
            parameters=AUTOMATIC_TRAINING,
            via=f"RETRAIN_AFTER_LABELS={every}",
        )
    logger.info("%s labels since the last training: job %s queued", every, job.pk)
    return job
