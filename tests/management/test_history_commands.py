"""generate_demo_history and prune_history: rows and files stay together."""

import io
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.utils import timezone

from recognizer.history import services
from recognizer.models import Prediction
from recognizer.storage import drawing_storage
from tests.support.factories import PNG_SIGNATURE, prediction_make

pytestmark = pytest.mark.django_db(transaction=True)


def stored_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(path.relative_to(root)) for path in root.rglob("*.png")}


def run(command: str, *args: str) -> str:
    output = io.StringIO()
    call_command(command, *args, stdout=output)
    return output.getvalue()


class TestGenerateDemoHistory:
    def test_every_row_has_its_own_file_and_realistic_values(self, model_in_service):
        output = run(
            "generate_demo_history",
            *("--count", "60", "--days", "30", "--labelled", "0.5"),
            *("--drawings", "12", "--versions", "3", "--batch", "25", "--seed", "1"),
        )
        assert "60 predictions stored" in output
        rows = list(Prediction.objects.all())
        assert len(rows) == 60
        names = [row.drawing.name for row in rows]
        assert len(set(names)) == 60
        assert set(names) == stored_files()

        now = timezone.now()
        assert all(now - timedelta(days=30) <= row.created_at <= now for row in rows)
        for row in rows:
            assert row.drawing.name.startswith(f"drawings/{row.created_at:%Y/%m/%d}/")
            assert len(row.features) == 64 and len(row.probabilities) == 10
            assert row.confidence == max(row.probabilities)
            assert row.digit == row.probabilities.index(row.confidence)
        labelled = [row for row in rows if row.label is not None]
        assert 10 < len(labelled) < 50
        assert all(row.labelled_at >= row.created_at for row in labelled)
        current = model_in_service.version
        versions = {row.model_version for row in rows}
        assert current in versions and 1 < len(versions) <= 3
        # The newest rows come from the model in service, the oldest from older ones.
        by_time = sorted(rows, key=lambda row: row.created_at)
        assert by_time[-1].model_version == current != by_time[0].model_version
        assert {row.source for row in rows} == {"page", "api"}
        assert all(bool(row.session_key) == (row.source == "page") for row in rows)

    def test_rows_share_a_few_drawings_yet_each_has_its_own_file(self):
        run("generate_demo_history", "--count", "20", "--drawings", "3", "--seed", "2")
        rows = list(Prediction.objects.order_by("id"))
        contents = {drawing_storage().open(row.drawing.name).read() for row in rows}
        assert 1 < len(contents) <= 3
        services.predictions_delete(predictions=Prediction.objects.filter(pk=rows[0].pk))
        assert not drawing_storage().exists(rows[0].drawing.name)
        assert all(drawing_storage().exists(row.drawing.name) for row in rows[1:])

    def test_no_model_no_history(self, no_model):
        with pytest.raises(CommandError, match="train_model"):
            run("generate_demo_history", "--count", "5")
        assert Prediction.objects.count() == 0

    def test_a_failed_insert_leaves_no_file_behind(self):
        failure = OperationalError("the database went away")
        with (
            mock.patch.object(Prediction.objects, "bulk_create", side_effect=failure),
            pytest.raises(OperationalError),
        ):
            run("generate_demo_history", "--count", "10", "--drawings", "2")
        assert Prediction.objects.count() == 0
        assert stored_files() == set()


def make_prediction(days_ago: float, *, label: int | None = None) -> Prediction:
    created_at = timezone.now() - timedelta(days=days_ago)
    name = drawing_storage().save(
        f"drawings/{created_at:%Y/%m/%d}/test.png", ContentFile(PNG_SIGNATURE)
    )
    return prediction_make(
        created_at=created_at, drawing=name, digit=1, confidence=1.0, label=label
    )


@pytest.fixture
def history() -> dict[str, list[Prediction]]:
    return {
        "old": [make_prediction(days) for days in (40, 50, 60, 70, 80)],
        "old_labelled": [make_prediction(45, label=1), make_prediction(55, label=7)],
        "recent": [make_prediction(days) for days in (0, 1, 29)],
    }


class TestPruneHistory:
    def test_a_dry_run_deletes_nothing(self, history):
        before = stored_files()
        output = run("prune_history", "--older-than", "30", "--dry-run")
        assert "7 predictions" in output and "would be deleted" in output
        assert Prediction.objects.count() == 10
        assert stored_files() == before

    def test_old_rows_go_with_their_files_recent_ones_stay(self, history):
        output = run("prune_history", "--older-than", "30", "--batch", "2")
        assert "Deleted 7 predictions" in output
        assert set(Prediction.objects.all()) == set(history["recent"])
        assert stored_files() == {row.drawing.name for row in history["recent"]}

    def test_labelled_rows_can_be_kept(self, history):
        output = run("prune_history", "--older-than", "30", "--keep-labelled")
        assert "Deleted 5 predictions" in output and "2 labelled ones kept" in output
        kept = set(history["recent"]) | set(history["old_labelled"])
        assert set(Prediction.objects.all()) == kept
        assert stored_files() == {row.drawing.name for row in kept}

    def test_a_dry_run_with_labelled_rows_kept(self, history):
        output = run("prune_history", "--older-than", "30", "--keep-labelled", "--dry-run")
        assert "5 predictions" in output and "2 labelled ones kept" in output
        assert Prediction.objects.count() == 10

    def test_nothing_old_enough(self, history):
        output = run("prune_history", "--older-than", "365")
        assert "Deleted 0 predictions" in output
        assert Prediction.objects.count() == 10

    def test_days_cannot_be_negative(self):
        with pytest.raises(CommandError):
            run("prune_history", "--older-than", "-1")
