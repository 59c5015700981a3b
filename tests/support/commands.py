"""Management commands run in the test process, as an operator runs them."""

import io

from django.core.management import call_command


def command(name: str, *args: str) -> str:
    """Run a management command; return what it printed."""
    output = io.StringIO()
    call_command(name, *args, stdout=output)
    return output.getvalue()


def train(*args: str) -> str:
    """Run train_model in the quick setting, without the drawing-like evaluation (the
    training is then seconds); return what it printed."""
    return command("train_model", "--fast", "--skip-evaluation", *args)
