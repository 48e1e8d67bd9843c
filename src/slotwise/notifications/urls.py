from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("dashboard/event-types/<int:event_type_id>/emails/", views.template_preview, name="preview"),
]
