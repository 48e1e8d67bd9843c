from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "slotwise.jobs"
    label = "jobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from slotwise.core import metrics, readiness

        from . import health

        readiness.register("worker", health.check_worker)
        metrics.at_scrape(health.queue_readings)
