# The Job table is the one queue: django-tasks-db is no longer installed. Its table only ever held
# wake-up ticks (no work), so it is dropped along with the record of its migrations.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0002_job_organization"),
    ]

    operations = [
        migrations.RunSQL(
            [
                "DROP TABLE IF EXISTS django_tasks_database_dbtaskresult",
                "DELETE FROM django_migrations WHERE app = 'django_tasks_database'",
            ],
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
