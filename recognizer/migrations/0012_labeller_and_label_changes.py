import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("recognizer", "0011_features_help_text"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField(
            model_name="prediction", old_name="label_source", new_name="labeller"
        ),
        migrations.AlterField(
            model_name="prediction",
            name="digit",
            field=models.PositiveSmallIntegerField(choices=[(0, "0"), (1, "1"), (2, "2"), (3, "3"), (4, "4"), (5, "5"), (6, "6"), (7, "7"), (8, "8"), (9, "9")], help_text="The digit the model guessed.", validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(9)], verbose_name="guess"),
        ),
        migrations.CreateModel(
            name="LabelChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("label", models.PositiveSmallIntegerField(blank=True, choices=[(0, "0"), (1, "1"), (2, "2"), (3, "3"), (4, "4"), (5, "5"), (6, "6"), (7, "7"), (8, "8"), (9, "9")], null=True, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(9)])),
                ("labeller", models.CharField(choices=[("session", "the person drawing"), ("token", "API caller with the feedback token"), ("staff", "staff review")], max_length=8)),
                ("changed_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("labelled_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("prediction", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="label_changes", to="recognizer.prediction")),
            ],
            options={"ordering": ["changed_at", "id"]},
        ),
    ]
