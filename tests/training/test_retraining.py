"""Learning from corrected drawings, and switching model versions."""

import io
import random
import re

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from recognizer.management.commands.train_model import Command as TrainModel
from recognizer.ml.preprocessing import RECIPE
from recognizer.models import ModelVersion, Prediction
from recognizer.training import services as training_services
from tests.support.canvases import SEVEN, THREE, drawing_data_uri, jittered, mirrored
from tests.support.commands import train

# Learning from labels is the subject, not the database: not run again on PostgreSQL.
pytestmark = [pytest.mark.django_db, pytest.mark.one_pass]

# The unusual style: 3s and 7s drawn mirrored, as nobody in load_digits did.
STYLE = {3: mirrored(THREE), 7: mirrored(SEVEN)}


def unusual_drawings(count: int, seed: int) -> list[tuple[str, int]]:
    rng = random.Random(seed)
    return [
        (drawing_data_uri(jittered(STYLE[digit], rng), pen_width=rng.uniform(12, 24)), digit)
        for digit in [3, 7] * (count // 2)
    ]


def guess(api: APIClient, image: str) -> dict:
    response = api.post("/api/predict/", {"image": image}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def accuracy(api: APIClient, drawings: list[tuple[str, int]]) -> tuple[float, set[str]]:
    answers = [(guess(api, image), digit) for image, digit in drawings]
    right = sum(answer["digit"] == digit for answer, digit in answers)
    return right / len(answers), {answer["model_version"] for answer, _ in answers}


def teach(api: APIClient, drawings: list[tuple[str, int]]) -> None:
    """Send drawings and correct every guess, as their author would."""
    for image, digit in drawings:
        answer = guess(api, image)
        response = api.post(
            f"/api/predictions/{answer['id']}/feedback/",
            {"label": digit, "token": answer["feedback_token"]},
            format="json",
        )
        assert response.status_code == 200


def active_version() -> str:
    return ModelVersion.objects.get(role=ModelVersion.Role.IN_SERVICE).version


def test_retraining_with_history_learns_an_unusual_style(model_in_service):
    api = APIClient()
    first_version = active_version()
    held_out = unusual_drawings(20, seed=2)

    before, versions = accuracy(api, held_out)
    assert versions == {first_version}
    assert before < 0.5, "the style must be one the first model gets mostly wrong"

    teach(api, unusual_drawings(60, seed=1))
    output = train("--with-history")

    assert "history: 48 labelled drawings to learn from, 12 held out" in output
    new_version = active_version()
    assert new_version != first_version
    assert "put in service" in output
    after, versions = accuracy(api, held_out)
    assert versions == {new_version}
    assert after >= 0.8, f"after retraining {after:.0%} of the held-out style was right"
    new = ModelVersion.objects.get(version=new_version)
    assert new.metadata["history_samples"] == 48
    history = new.training_data["history"]
    assert (history["images"], history["held_out"], history["repeat"]) == (48, 12, 10)
    assert history["per_digit"][3] + history["per_digit"][7] == 48
    assert len(history["files"][0]["sha256"]) == 64
    assert new.metadata["comparison"]["held-out history"]["samples"] == 12
    assert new.evaluation == {}  # skipped
    assert new.trained_by.startswith("manage.py train_model (")
    print(f"unusual style: {before:.0%} right before, {after:.0%} after retraining")


def test_a_worse_model_is_kept_out_of_service_unless_activated(model_in_service):
    api = APIClient()
    teach(api, unusual_drawings(60, seed=3))
    train("--with-history")
    learnt = active_version()

    output = train()  # without the history: worse on the held-out history
    assert "NOT put in service" in output
    assert "held-out history" in output
    assert active_version() == learnt
    rejected = re.search(r"Model ([0-9a-f]{12}) is worse", output).group(1)
    # Every version is kept, ready to be activated by hand.
    assert ModelVersion.objects.filter(version=rejected).exists()

    output = train("--activate")
    assert active_version() != learnt
    # The comparison is still shown, and said to be worse.
    assert "held-out history" in output
    assert "was put in service as asked" in output


def test_force_is_the_old_name_of_activate():
    """--force, the option's first name, still means --activate (one test trains with it)."""
    parser = TrainModel().create_parser("manage.py", "train_model")
    assert parser.parse_args(["--force"]).activate is True
    assert parser.parse_args([]).activate is False


def test_list_models_and_activate_model(model_in_service, training_result):
    first = active_version()
    guess(APIClient(), unusual_drawings(2, seed=4)[0][0])
    teach(APIClient(), unusual_drawings(10, seed=5))
    train("--with-history", "--force")
    second = active_version()

    out = io.StringIO()
    call_command("list_models", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[1].startswith(f"  {first}")
    assert lines[2].startswith(f"* {second}")
    labelled = Prediction.objects.filter(model_version=first, label__isnull=False).count()
    assert lines[1].split()[3] == str(labelled)

    call_command("activate_model", first, stdout=io.StringIO())
    assert active_version() == first
    assert guess(APIClient(), unusual_drawings(2, seed=6)[0][0])["model_version"] == first

    with pytest.raises(CommandError, match="list_models"):
        call_command("activate_model", "ffffffffffff")


def test_train_if_missing_keeps_the_model_in_service(model_in_service):
    version = active_version()
    assert "not training" in train("--if-missing")
    assert active_version() == version
    assert ModelVersion.objects.count() == 1


def test_train_if_missing_replaces_a_model_of_an_older_design(model_in_service):
    old = active_version()
    ModelVersion.objects.filter(version=old).update(metadata={"format": 2})  # an older design

    output = train("--if-missing")
    assert "older version" in output
    assert "put in service" in output
    assert active_version() != old
    assert guess(APIClient(), unusual_drawings(2, seed=7)[0][0])["model_version"] != old


def test_train_if_missing_replaces_a_model_of_the_recipe_before_scikit_image(model_in_service):
    """What `make run` and `make serve` do after an upgrade that changed the features."""
    old = active_version()
    metadata = ModelVersion.objects.get(version=old).metadata
    ModelVersion.objects.filter(version=old).update(metadata={**metadata, "recipe": 1})

    output = train("--if-missing")
    assert "features of recipe 1" in output
    assert "put in service" in output
    assert active_version() != old
    assert ModelVersion.objects.get(role=ModelVersion.Role.IN_SERVICE).metadata["recipe"] == RECIPE


@pytest.mark.parametrize(
    ("current", "new", "worse"),
    [(0.9867, 0.9800, False), (0.9867, 0.9700, True), (None, 0.5, False), (0.5, 0.9, False)],
)
def test_only_a_drop_beyond_the_noise_counts_as_worse(current, new, worse):
    comparison = training_services.Comparison(rows=[("load_digits test split", 450, current, new)])
    assert comparison.new_is_worse is worse
