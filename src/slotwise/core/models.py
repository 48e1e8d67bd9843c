from django.db import models


class RateLimitCounter(models.Model):
    """Fixed-window counters for `slotwise.core.ratelimit`, bumped with one INSERT .. ON CONFLICT ..
    RETURNING (atomic on SQLite and PostgreSQL). Used when no Redis is configured.

    The table keeps the name it had when the API owned the limiter (migrations move the model's state only).
    """

    key = models.CharField(max_length=200)
    window_start = models.BigIntegerField(help_text="Start of the window, unix seconds")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "api_ratelimitcounter"
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="ratelimit_unique_window")]
        indexes = [models.Index(fields=["window_start"], name="api_ratelim_window__92febc_idx")]
