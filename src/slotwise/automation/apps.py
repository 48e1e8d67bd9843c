from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "slotwise.automation"
    label = "automation"
    default_auto_field = "django.db.models.BigAutoField"
