# The rate limiter's counter table moved from the api app to core with the limiter itself. The table exists
# already (api 0001 created it), so this changes Django's state only.

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("api", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="RateLimitCounter",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("key", models.CharField(max_length=200)),
                        ("window_start", models.BigIntegerField(help_text="Start of the window, unix seconds")),
                        ("count", models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        "db_table": "api_ratelimitcounter",
                        "indexes": [models.Index(fields=["window_start"], name="api_ratelim_window__92febc_idx")],
                        "constraints": [
                            models.UniqueConstraint(fields=("key", "window_start"), name="ratelimit_unique_window")
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
