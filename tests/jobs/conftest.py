import os
import uuid

import pytest

REDIS_URL = os.environ.get("SLOTWISE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_wake(settings):
    """Wake-ups through Redis (SLOTWISE_TEST_REDIS_URL), on a key of this test's own. Yields the environment
    that gives a `slotwise worker` process the same configuration."""
    from slotwise.jobs import wake

    key = f"slotwise-test:{uuid.uuid4().hex}"
    settings.SLOTWISE_JOBS_WAKE, settings.REDIS_URL, settings.SLOTWISE_JOBS_REDIS_KEY = "redis", REDIS_URL, key
    yield {"SLOTWISE_JOBS_WAKE": "redis", "REDIS_URL": REDIS_URL, "SLOTWISE_JOBS_REDIS_KEY": key}
    wake.clear_redis()
