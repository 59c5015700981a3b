"""Give every stored prediction its margin: its top probability minus the second."""

from django.db import migrations, transaction

BATCH_SIZE = 2000


def margin(probabilities):
    # recognizer.ml.serving.margin_of as it was when this migration was
    # written: a migration must keep doing what it did then.
    second, first = sorted(probabilities)[-2:]
    return first - second


def fill_margins(apps, schema_editor):
    """Compute the margins a batch of rows at a time, in id order, a transaction each.

    Memory stays flat at a million rows, no row stays locked for long, and
    an interrupted run resumes where it stopped. Each row is one
    parameterised UPDATE by primary key (executemany): the same SQL on SQLite
    and PostgreSQL, where bulk_update's CASE expression grows with the batch.
    """
    Prediction = apps.get_model("recognizer", "Prediction")
    connection = schema_editor.connection
    update = f"UPDATE {schema_editor.quote_name(Prediction._meta.db_table)} SET margin = %s WHERE id = %s"
    rows = Prediction.objects.using(connection.alias).filter(margin__isnull=True).order_by("id")
    last = 0
    while batch := list(rows.filter(id__gt=last).values_list("id", "probabilities")[:BATCH_SIZE]):
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.executemany(update, [(margin(probs), pk) for pk, probs in batch])
        last = batch[-1][0]


class Migration(migrations.Migration):
    atomic = False  # a transaction per batch (see fill_margins)

    dependencies = [
        ("recognizer", "0008_challenger_margin_rescore"),
    ]

    operations = [
        migrations.RunPython(fill_margins, migrations.RunPython.noop, elidable=True),
    ]
