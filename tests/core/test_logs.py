"""Structured logs: request ids (taken from X-Request-ID or made), job ids, JSON in production."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from slotwise.core import logs
from slotwise.jobs import services as jobs

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def json_lines():
    """Records of the slotwise and django loggers, as the production handler writes them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.ContextFilter())
    targets = [logging.getLogger(name) for name in ("django.request", "test.logs", "slotwise.access")]
    levels = [t.level for t in targets]
    for t in targets:
        t.addHandler(handler)
        t.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    for t, level in zip(targets, levels, strict=True):
        t.removeHandler(handler)
        t.setLevel(level)


def test_a_request_keeps_the_callers_request_id_in_its_answer_and_its_log_lines(db, json_lines):
    response = Client().get("/no/such/page/here/", HTTP_X_REQUEST_ID="edge-7f3a.42")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "edge-7f3a.42"
    (not_found,) = [line for line in json_lines() if line["logger"] == "django.request"]
    assert not_found["request_id"] == "edge-7f3a.42"
    assert not_found["level"] == "WARNING" and not_found["message"].startswith("Not Found: /no/such/page/here/")
    (access,) = [line for line in json_lines() if line["logger"] == "slotwise.access"]
    assert access["request_id"] == "edge-7f3a.42"
    assert (access["method"], access["status"], access["route"]) == ("GET", 404, "unmatched")


@pytest.mark.parametrize("given", [None, "", "two words", "a\nnewline", "x" * 129, "ünï"])
def test_a_missing_or_unsafe_request_id_is_replaced_by_a_new_one(db, given):
    headers = {} if given is None else {"HTTP_X_REQUEST_ID": given}
    first = Client().get("/healthz", **headers)["X-Request-ID"]
    second = Client().get("/healthz", **headers)["X-Request-ID"]
    assert len(first) == 32 and int(first, 16) >= 0
    assert first != second


def test_a_jobs_log_lines_carry_its_job_id(db, json_lines, now):
    @jobs.handler("test.logs")
    def logs_a_line(payload, job):
        logging.getLogger("test.logs").info("sending %s", payload["what"])

    job = jobs.enqueue("test.logs", {"what": "the invitation"}, due_at=now)
    assert jobs.run_due(now, kinds=["test.logs"]) == 1
    (line,) = json_lines()
    assert (line["message"], line["job_id"]) == ("sending the invitation", str(job.pk))
    assert "request_id" not in line  # outside any request


def test_json_lines_keep_the_exception_and_extra_fields():
    record = logging.LogRecord("slotwise.x", logging.ERROR, __file__, 1, "failed %s", ("once",), None)
    try:
        raise ValueError("bad")
    except ValueError:
        record.exc_info = sys.exc_info()
    record.booking = "b-1"
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["message"] == "failed once" and line["booking"] == "b-1"
    assert line["exception"].endswith("ValueError: bad")
    assert line["time"].endswith("+00:00")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "text"),
        ({"SLOTWISE_LOG_FORMAT": "json"}, "json"),
        ({"SLOTWISE_ENV": "production", "SLOTWISE_SECRET_KEY": "k" * 50}, "json"),
        ({"SLOTWISE_ENV": "production", "SLOTWISE_SECRET_KEY": "k" * 50, "SLOTWISE_LOG_FORMAT": "text"}, "text"),
    ],
)
def test_json_logs_are_off_locally_and_on_in_production(tmp_path, env, expected):
    code = (
        "import logging, django; django.setup(); "
        "from slotwise.core.logs import JsonFormatter; "
        "h = logging.getLogger().handlers[0]; "
        "print('json' if isinstance(h.formatter, JsonFormatter) else 'text')"
    )
    base = {k: v for k, v in os.environ.items() if k not in ("SLOTWISE_ENV", "SLOTWISE_LOG_FORMAT", "DATABASE_URL")}
    p = subprocess.run(
        [sys.executable, "-c", code],
        env={
            **base,
            "SLOTWISE_DATA_DIR": str(tmp_path),
            "PYTHONPATH": str(SRC),
            "DJANGO_SETTINGS_MODULE": "slotwise.config.settings",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == expected
