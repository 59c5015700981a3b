"""`--dataset openml:NAME`: scikit-learn's fetch_openml, cached, tested offline
against a stand-in server (tests/openml_server.py)."""

import io

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from recognizer.ml import datasets, openml_dataset
from recognizer.ml.preprocessing import RECIPE
from recognizer.models import ModelVersion
from tests.support.openml_server import FakeOpenML, mnist_like_rows

# Its subject does not depend on the database: not run again on PostgreSQL.
pytestmark = [pytest.mark.django_db, pytest.mark.one_pass]

ROWS = 60


@pytest.fixture
def server(monkeypatch):
    fake = FakeOpenML(*mnist_like_rows(ROWS))
    monkeypatch.setattr("sklearn.datasets._openml.urlopen", fake)
    # A stand-in for mnist_784's 60,000 + 10,000 rows: 50 + 10.
    monkeypatch.setitem(openml_dataset.STANDARD_TRAINING_ROWS, "mnist_784", 50)
    return fake


def open_mnist(data_home):
    return datasets.open_dataset(datasets.parse_dataset("openml:mnist_784"), data_home=data_home)


def test_a_data_set_is_downloaded_once_then_read_from_the_cache(server, tmp_path):
    source = open_mnist(tmp_path)
    assert len(source.labels) == ROWS and server.requests > 0
    assert source.name == "openml:mnist_784"
    record = source.listing.files[0]
    assert (record["path"], record["data_id"], len(record["sha256"])) == (
        "openml:mnist_784",
        554,
        64,
    )

    server.online, asked = False, server.requests
    again = open_mnist(tmp_path)
    assert server.requests == asked  # nothing asked of the network
    np.testing.assert_array_equal(again.labels, source.labels)


def test_mnist_keeps_its_standard_test_rows_out_of_training(server, tmp_path):
    source = open_mnist(tmp_path)
    training, held_out = datasets.split(source)
    np.testing.assert_array_equal(held_out, np.arange(50, ROWS))
    np.testing.assert_array_equal(training, np.arange(50))


def test_rows_become_ink_like_uploads(server, tmp_path):
    source = open_mnist(tmp_path)
    (index, ink), *_ = source.listing.load(np.array([0]))
    assert index == 0 and ink.shape == (28, 28)
    assert ink[0, 0] == 0.0 and ink.max() > 0.8  # light on black: the black is paper


def test_without_network_and_cache_the_error_says_both(server, tmp_path):
    server.online = False
    with pytest.raises(datasets.DatasetError, match=r"not in the cache .*openml\.org"):
        open_mnist(tmp_path / "empty")


@pytest.mark.parametrize("text", ["openml:", "openml: "])
def test_a_missing_name_is_refused(text):
    with pytest.raises(datasets.DatasetError, match="name is missing"):
        datasets.parse_dataset(text)


def test_train_model_learns_from_an_openml_data_set(server, model_in_service, tmp_path, settings):
    settings.OPENML_DATA_HOME = tmp_path
    out = io.StringIO()
    call_command(
        "train_model", "--fast", "--skip-evaluation", "--dataset", "openml:mnist_784", stdout=out
    )
    assert "openml:mnist_784: 50 images to learn from, 10 held out" in out.getvalue()
    newest = ModelVersion.objects.exclude(pk=model_in_service.pk).get()
    record = newest.training_data["openml:mnist_784"]
    assert (record["kind"], record["held_out"], record["files"][0]["data_id"]) == (
        "openml",
        10,
        554,
    )
    assert newest.metadata["recipe"] == RECIPE


def test_evaluate_model_without_network_explains(server, model_in_service, tmp_path, settings):
    settings.OPENML_DATA_HOME = tmp_path / "empty"
    server.online = False
    with pytest.raises(CommandError, match=r"openml\.org"):
        call_command("evaluate_model", "--dataset", "openml:mnist_784", stdout=io.StringIO())
