"""Structured logs: one JSON object per line, each carrying the request id or job id it was written under.

JSON is on in production (SLOTWISE_ENV=production) or with SLOTWISE_LOG_FORMAT=json; locally the plain text
format stays (SLOTWISE_LOG_FORMAT=text turns JSON off in production too). The ids live in context variables:
RequestIdMiddleware binds the request's (the caller's X-Request-ID when it is a sane token, else a new one,
sent back in the response), the job worker binds the job's (jobs/services.py), and the `ContextFilter` on the
handler copies them into every record."""

import json
import logging
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from django.core.signals import request_finished

request_id: ContextVar[str] = ContextVar("request_id", default="")
job_id: ContextVar[str] = ContextVar("job_id", default="")

# What we accept from a caller's X-Request-ID (a proxy's or a client's): a token, not free text for the logs.
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
access_log = logging.getLogger("slotwise.access")


@contextmanager
def bound(var: ContextVar[str], value: str) -> Iterator[None]:
    token = var.set(value)
    try:
        yield
    finally:
        var.reset(token)


def incoming_request_id(header: str | None) -> str:
    """The caller's id when it is a sane token (so one id follows a request through proxies), else a new one."""
    if header and _SANE_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class ContextFilter(logging.Filter):
    """Puts the current request id and job id on every record (empty outside a request or job)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.job_id = job_id.get()
        return True


# Attributes every LogRecord has; anything else on a record came from `extra=` and goes into the JSON.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and value not in ("", None):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def logging_config(*, json_format: bool, level: str) -> dict:
    """settings.LOGGING: one console handler, JSON or text, with the request and job ids filled in."""
    formatter = {"()": JsonFormatter} if json_format else {"format": "%(message)s"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter}},
        "formatters": {"main": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "main", "filters": ["context"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # One line per request, written by RequestIdMiddleware, only where gunicorn's own access log is
            # off (JSON logs); a text log keeps gunicorn's.
            "slotwise.access": {"level": "INFO" if json_format else "WARNING"},
        },
    }


class RequestIdMiddleware:
    """Binds the request id for everything the request logs, answers with it in X-Request-ID, and writes the
    request's access line (method, route, status, milliseconds)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = incoming_request_id(request.headers.get("X-Request-ID"))
        request.request_id = rid
        started = time.perf_counter()
        # Bound until the response is closed (request_finished), not just until this returns: Django logs
        # "Not Found" and errors after the middleware has answered.
        request_id.set(rid)
        response = self.get_response(request)
        response["X-Request-ID"] = rid
        if access_log.isEnabledFor(logging.INFO):
            match = getattr(request, "resolver_match", None)
            access_log.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "route": match.view_name if match else "unmatched",
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
        return response


def _request_done(**_) -> None:
    request_id.set("")


request_finished.connect(_request_done)
