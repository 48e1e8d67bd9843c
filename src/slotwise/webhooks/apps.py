from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "slotwise.webhooks"
    label = "webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import services, subscribers  # noqa: F401 - services registers the delivery job handler

        subscribers.connect()
