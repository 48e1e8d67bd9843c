"""A Django task backend on a Redis list, for several workers on several machines.

Why our own and not django-tasks-rq: the only task we enqueue is the idempotent `tick` (the durable state
is the Job table), so we need a wake-up that many workers can block on (BLPOP hands each push to exactly
one of them), not RQ's job store, forking worker and scheduler. This is fifty lines on redis-py, which is
already a dependency. Results are not kept (`supports_get_result = False`).

Settings: TASKS = {"default": {"BACKEND": "slotwise.jobs.redis_backend.RedisBackend",
"OPTIONS": {"url": "redis://127.0.0.1:6379/0", "key": "slotwise:tasks"}}} (url defaults to REDIS_URL).
"""

import json

import redis
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import TaskResult, TaskResultStatus
from django_tasks.utils import get_random_id


class RedisBackend(BaseTaskBackend):
    supports_defer = False
    supports_get_result = False

    def __init__(self, alias: str, params: dict) -> None:
        super().__init__(alias, params)
        self.url = self.options.get("url") or settings.REDIS_URL or "redis://127.0.0.1:6379/0"
        self.key = self.options.get("key", "slotwise:tasks")
        self._client = None

    @property
    def client(self) -> redis.Redis:
        from slotwise.core.redis import client

        return client(self.url, socket_timeout=30)  # one per process, created under a lock

    def _queue_key(self, queue_name: str) -> str:
        return f"{self.key}:{queue_name}"

    def enqueue(self, task, args, kwargs) -> TaskResult:
        self.validate_task(task)
        result = TaskResult(
            task=task, id=get_random_id(), status=TaskResultStatus.READY, enqueued_at=timezone.now(),
            started_at=None, last_attempted_at=None, finished_at=None, args=list(args), kwargs=dict(kwargs),
            backend=self.alias, errors=[], worker_ids=[],
        )
        message = {"id": result.id, "task": task.module_path, "args": result.args, "kwargs": result.kwargs}
        self.client.rpush(self._queue_key(task.queue_name), json.dumps(message))
        return result

    def pop(self, *, timeout: float, queue_name: str = "default") -> dict | None:
        """Block up to `timeout` seconds for one message; None when nothing came."""
        got = self.client.blpop([self._queue_key(queue_name)], timeout=max(timeout, 0.01))
        return None if got is None else json.loads(got[1])

    def run(self, message: dict):
        task = import_string(message["task"])
        return task.call(*message.get("args", []), **message.get("kwargs", {}))

    def clear(self, queue_name: str = "default") -> None:
        self.client.delete(self._queue_key(queue_name))
