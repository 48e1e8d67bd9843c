from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "slotwise.imports"
    label = "imports"
    verbose_name = "Imports from other schedulers"
