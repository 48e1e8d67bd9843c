from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("dashboard/event-types/<int:event_type_id>/emails/", views.template_preview, name="preview"),
    path("dashboard/event-types/<int:event_type_id>/reminders/", views.reminders, name="reminders"),
    path(
        "dashboard/event-types/<int:event_type_id>/reminders/<int:reminder_id>/", views.reminders, name="reminder_edit"
    ),
    path(
        "dashboard/event-types/<int:event_type_id>/reminders/<int:reminder_id>/delete/",
        views.reminder_delete,
        name="reminder_delete",
    ),
]
