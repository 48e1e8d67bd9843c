from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "slotwise.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import lockout

        lockout.connect_signals()
