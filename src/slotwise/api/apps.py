from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "slotwise.api"
    label = "api"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from slotwise.core.events import subscribe

        from .services import on_no_show_cleared, on_no_show_set

        subscribe("invitee.no_show_set", on_no_show_set)
        subscribe("invitee.no_show_cleared", on_no_show_cleared)
