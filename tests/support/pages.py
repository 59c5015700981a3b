"""Reading the admin's pages as a reviewer sees them, for the tests."""

import re


def listed_ids(response) -> list[int]:
    return [
        int(pk)
        for pk in re.findall(r'name="_selected_action" value="(\d+)"', response.content.decode())
    ]
