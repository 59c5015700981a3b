"""The one way tests wait for something another thread or process does."""

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    check: Callable[[], T],
    *,
    seconds: float = 10,
    every: float = 0.05,
    what: str = "",
    tolerate: tuple[type[Exception], ...] = (),
) -> T:
    """Return the first truthy value `check()` gives, polling every `every` seconds;
    fail the test after `seconds`, saying `what` was awaited. An exception of a kind
    in `tolerate` (a server not listening yet: OSError) counts as not yet."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            value = check()
        except tolerate:
            value = None
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"waited {seconds:g} s in vain for {what or check}")
        time.sleep(every)
