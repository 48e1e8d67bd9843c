"""HostBusyVersion, and the triggers on BusyBlock that raise it (see scheduling/busy_version_sql.py)."""

from django.db import migrations, models

from slotwise.scheduling import busy_version_sql as sql

TABLE = "scheduling_busyblock"
FORWARD = {
    "postgresql": [*sql.PG_FUNCTIONS, *sql.pg_table_triggers(TABLE)],
    "sqlite": sql.sqlite_table_triggers(TABLE),
}
BACKWARD = {
    "postgresql": [*sql.pg_drop_table_triggers(TABLE), *sql.PG_DROP_FUNCTIONS],
    "sqlite": sql.sqlite_drop_table_triggers(TABLE),
}


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0008_recurring_bookings"),
    ]

    operations = [
        migrations.CreateModel(
            name="HostBusyVersion",
            fields=[
                ("membership_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("version", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(sql.run(FORWARD), sql.run(BACKWARD)),
    ]
