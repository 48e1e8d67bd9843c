# The no-show lives in one model, here: the API's InviteeNoShow rows move into bookings, an invitee flagged
# without a row (marked on the dashboard before the API app made one) gets one dated when the meeting
# ended, and the Invitee.no_show flag goes (it is now "has a row").

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.db import migrations, models


def move_marks(apps, schema_editor):
    Old = apps.get_model("api", "InviteeNoShow")
    New = apps.get_model("bookings", "InviteeNoShow")
    Invitee = apps.get_model("bookings", "Invitee")
    New.objects.bulk_create(
        [New(uuid=m.uuid, invitee_id=m.invitee_id, created_at=m.created_at) for m in Old.objects.all()],
        batch_size=500,
    )
    marked = set(New.objects.values_list("invitee_id", flat=True))
    flagged = Invitee.objects.filter(no_show=True).exclude(pk__in=marked).select_related("booking")
    New.objects.bulk_create([New(invitee_id=i.pk, created_at=i.booking.end) for i in flagged], batch_size=500)


def restore_flags(apps, schema_editor):
    New = apps.get_model("bookings", "InviteeNoShow")
    Old = apps.get_model("api", "InviteeNoShow")
    Invitee = apps.get_model("bookings", "Invitee")
    Invitee.objects.filter(pk__in=New.objects.values("invitee_id")).update(no_show=True)
    Old.objects.bulk_create(
        [Old(uuid=m.uuid, invitee_id=m.invitee_id, created_at=m.created_at) for m in New.objects.all()],
        batch_size=500,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0004_managed_links"),
        ("api", "0003_extension_oauth_app"),
    ]

    operations = [
        migrations.CreateModel(
            name="InviteeNoShow",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("uuid", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "invitee",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE, related_name="no_show_mark", to="bookings.invitee"
                    ),
                ),
            ],
        ),
        migrations.RunPython(move_marks, restore_flags),
        migrations.RemoveField(
            model_name="invitee",
            name="no_show",
        ),
    ]
