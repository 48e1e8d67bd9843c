from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "slotwise.imports"
    label = "imports"
    verbose_name = "Imports from other schedulers"

    def ready(self):
        from . import sync  # noqa: F401 - registers the poll job's handler
