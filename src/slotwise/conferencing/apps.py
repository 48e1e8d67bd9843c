from django.apps import AppConfig


class ConferencingConfig(AppConfig):
    name = "slotwise.conferencing"
    label = "conferencing"
    default_auto_field = "django.db.models.BigAutoField"
