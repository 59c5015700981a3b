import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_migrations_are_current():
    """Every model change has its migration."""
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
