from django.apps import AppConfig


class CliConfig(AppConfig):
    name = "slotwise.cli"
    label = "cli"
    verbose_name = "slotwise command"
