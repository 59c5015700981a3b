"""Reviewing drawing after drawing in the admin: the right/wrong column, the next and
previous drawings of the list the reviewer came from, the statistics' links."""

import re
from urllib.parse import quote, urlencode

import pytest

from recognizer.models import Prediction
from tests.support.factories import prediction_made_ago

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/recognizer/prediction/"


@pytest.fixture
def drawings() -> list[Prediction]:
    """Newest first: a right 1, an unlabelled 2, a wrong 3 (labelled 8), an unlabelled 4."""
    return [
        prediction_made_ago(1, 1, 0.999, label=1),
        prediction_made_ago(2, 2, 0.51),
        prediction_made_ago(3, 3, 0.72, label=8),
        prediction_made_ago(4, 4, 0.9),
    ]


def change_url(prediction: Prediction, filters: str = "") -> str:
    url = f"{CHANGELIST}{prediction.pk}/change/"
    return f"{url}?_changelist_filters={quote(filters)}" if filters else url


def links(page: str) -> dict[str, int]:
    found = re.findall(r'id="(previous|next)-drawing" rel="\w+"', page)
    targets = re.findall(
        r'href="/admin/recognizer/prediction/(\d+)/change/[^"]*" id="(\w+)-drawing"', page
    )
    assert len(found) == len(targets)
    return {name: int(pk) for pk, name in targets}


def test_the_list_marks_each_guess_right_wrong_or_not_yet(staff_client, drawings):
    page = staff_client.get(CHANGELIST).content.decode()
    cells = re.findall(r'<td class="field-right">([^<]*)</td>', page)
    assert cells == ["✓", "", "✗", ""]
    assert "&gt; 99%" in page and "100%" not in page


def test_a_change_page_links_the_neighbours_in_the_lists_order(staff_client, drawings):
    newest, second, third, _ = drawings
    assert links(staff_client.get(change_url(second)).content.decode()) == {
        "previous": newest.pk,
        "next": third.pk,
    }
    assert links(staff_client.get(change_url(newest)).content.decode()) == {"next": second.pk}


def test_the_neighbours_follow_the_lists_filters_and_sorting(staff_client, drawings):
    _, second, third, oldest = drawings
    unlabelled = urlencode({"correct": "unknown"})
    assert links(staff_client.get(change_url(second, unlabelled)).content.decode()) == {
        "next": oldest.pk
    }
    by_confidence = urlencode({"o": "3"})  # sorted by confidence, least sure first
    assert links(staff_client.get(change_url(third, by_confidence)).content.decode()) == {
        "previous": second.pk,
        "next": oldest.pk,
    }


def test_save_and_label_next_opens_the_next_of_the_same_list(staff_client, drawings):
    _, second, _, oldest = drawings
    unlabelled = urlencode({"correct": "unknown"})
    response = staff_client.post(
        change_url(second, unlabelled), {"label": "7", "_saveandnext": "1"}
    )
    assert response.status_code == 302
    assert response["Location"] == change_url(oldest, unlabelled)
    second.refresh_from_db()
    assert (second.label, second.labeller) == (7, Prediction.Labeller.STAFF)
    last = staff_client.post(change_url(oldest, unlabelled), {"label": "4", "_saveandnext": "1"})
    assert last["Location"] == f"{CHANGELIST}?{unlabelled}"
    assert "it was the last in the list" in staff_client.get(last["Location"]).content.decode()


def test_the_statistics_link_to_the_drawings_behind_each_figure(staff_client, drawings):
    page = staff_client.get("/admin/recognizer/prediction/statistics/").content.decode()
    assert f'href="{CHANGELIST}?digit__exact=3&amp;label__exact=8"' in page
    assert f'href="{CHANGELIST}?label__exact=8"' in page
    listed = staff_client.get(f"{CHANGELIST}?digit__exact=3&label__exact=8").content.decode()
    assert re.findall(r'name="_selected_action" value="(\d+)"', listed) == [str(drawings[2].pk)]
