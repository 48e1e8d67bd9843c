"""The `slotwise` command, run as a user runs it: a subprocess on its own SQLite database."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

ORG = textwrap.dedent("""\
    organization: {slug: cli}
    hosts:
      - email: nia@cli.test
        timezone: America/New_York
        weekly: {mon: ["09:00-10:30"], tue: ["09:00-10:30"]}
    event_types:
      - {slug: chat, host: nia@cli.test, name: Chat, duration: 30, increment: 30, window: unlimited}
      - {slug: weekly, host: nia@cli.test, name: Weekly, duration: 30, increment: 30, window: unlimited,
         recurrence: weekly, recurrence_count: 3}
""")


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    data = tmp_path_factory.mktemp("cli")
    env = {**os.environ, "SLOTWISE_DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "slotwise.config.settings"}
    env.pop("DATABASE_URL", None)  # its own SQLite file, whatever the suite runs on

    def run(*args, ok=True):
        p = subprocess.run(
            [sys.executable, "-m", "slotwise", *args], env=env, capture_output=True, text=True, timeout=120
        )
        if ok:
            assert p.returncode == 0, p.stderr
        return p

    run("migrate", "-v0")
    (data / "org.yaml").write_text(ORG)
    run("load", str(data / "org.yaml"))
    run.data = data
    return run


def test_help_lists_every_verb(cli):
    out = cli("--help").stdout
    for verb in ("serve", "migrate", "worker", "demo", "load", "availability", "book", "bench", "contacts", "bookings"):
        assert f"\n  {verb} " in out


def test_availability_json_groups_utc_instants_by_the_viewers_date(cli):
    # New York 09:00-10:30 on Monday 2026-03-09 (the day after spring-forward: UTC-4), seen from Kiritimati
    # (UTC+14), where those instants fall on Tuesday. Tuesday's New York hours are past the viewer's range.
    p = cli(
        "availability",
        "cli/nia/chat",
        "--from",
        "2026-03-09",
        "--to",
        "2026-03-10",
        "--tz",
        "Pacific/Kiritimati",
        "--now",
        "2026-03-01T00:00:00Z",
        "--json",
    )
    assert json.loads(p.stdout) == {
        "timezone": "Pacific/Kiritimati",
        "days": {"2026-03-10": ["2026-03-09T13:00:00Z", "2026-03-09T13:30:00Z", "2026-03-09T14:00:00Z"]},
    }


def test_book_prints_the_uid_then_the_time_is_gone(cli):
    args = ["--name", "Ola", "--email", "ola@example.com", "--tz", "Europe/Oslo", "--now", "2026-03-01T00:00:00Z"]
    p = cli("book", "cli/nia/chat", "--start", "2026-03-09T13:30:00Z", *args)
    assert len(p.stdout.strip()) == 36  # a uuid
    again = cli("book", "cli/nia/chat", "--start", "2026-03-09T13:30:00Z", *args, ok=False)
    assert again.returncode == 2 and "host is busy" in again.stderr and "Traceback" not in again.stderr


def test_book_on_a_weekly_event_books_the_whole_series(cli):
    """Monday 10:00 New York, three weeks: the first before the US spring change (15:00Z), the others after."""
    args = ["--name", "Ola", "--email", "ola@example.com", "--tz", "Europe/Oslo", "--now", "2026-03-01T00:00:00Z"]
    p = cli("book", "cli/nia/weekly", "--start", "2026-03-02T15:00:00Z", *args)
    assert "the first of a series of 3: 2026-03-02T15:00Z, 2026-03-09T14:00Z, 2026-03-16T14:00Z" in p.stderr
    clash = cli("book", "cli/nia/chat", "--start", "2026-03-16T14:00:00Z", *args, ok=False)
    assert clash.returncode == 2 and "Traceback" not in clash.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--start", "2026-03-09T13:30:00", "--tz", "UTC"], "has no UTC offset"),
        (["--start", "2026-03-09T13:15:00Z", "--tz", "UTC"], "increment"),
        (["--start", "2026-03-09T14:00:00Z", "--tz", "Moon/Base"], "unknown time zone"),
        (["--start", "yesterday", "--tz", "UTC"], "not an ISO 8601 instant"),
    ],
)
def test_book_errors_are_one_clear_line(cli, args, message):
    p = cli(
        "book",
        "cli/nia/chat",
        "--name",
        "X",
        "--email",
        "x@example.com",
        "--now",
        "2026-03-01T00:00:00Z",
        *args,
        ok=False,
    )
    assert p.returncode != 0 and message in p.stderr and "Traceback" not in p.stderr


@pytest.mark.parametrize(
    "name, message",
    [
        ("Ola\r\nBcc: all@example.com", "Name must not contain line breaks"),
        ("Ola\x07", "Name must not contain control characters (found U+0007)"),
        ("Ola \udcff", "Name contains broken Unicode"),  # an argv byte that is not UTF-8 (surrogateescape)
    ],
)
def test_cli_book_refuses_line_breaks_control_characters_and_broken_unicode_in_the_name(cli, name, message):
    p = cli(
        "book",
        "cli/nia/chat",
        "--start",
        "2026-03-10T13:30:00Z",
        "--name",
        name,
        "--email",
        "o@example.com",
        "--tz",
        "UTC",
        "--now",
        "2026-03-01T00:00:00Z",
        ok=False,
    )
    assert p.returncode == 2 and message in p.stderr and "Traceback" not in p.stderr


def test_a_malformed_load_file_names_the_line(cli):
    bad = cli.data / "bad.yaml"
    bad.write_text(ORG.replace("duration: 30", "duration: thirty"))
    p = cli("load", str(bad), ok=False)
    assert (
        p.returncode == 2
        and "line 7: event_types[0] (slug chat): Duration must be between 1 and 1440 minutes; 'thirty' is not a whole number"
        in p.stderr
    )


def test_unknown_event_path_is_a_clear_error(cli):
    p = cli("availability", "cli/nia/nope", "--from", "2026-03-09", "--to", "2026-03-09", "--tz", "UTC", ok=False)
    assert p.returncode == 2 and "no such event type" in p.stderr


def test_production_mode_refuses_the_development_secret(tmp_path):
    env = {**os.environ, "SLOTWISE_ENV": "production", "SLOTWISE_DATA_DIR": str(tmp_path)}
    env.pop("SLOTWISE_SECRET_KEY", None)
    env.pop("DATABASE_URL", None)  # its own SQLite file, whatever the suite runs on
    p = subprocess.run(
        [sys.executable, "-m", "slotwise", "migrate"], env=env, capture_output=True, text=True, timeout=60
    )
    assert p.returncode != 0 and "set SLOTWISE_SECRET_KEY" in p.stderr
    env["SLOTWISE_SECRET_KEY"] = "x" * 50
    p = subprocess.run(
        [sys.executable, "-m", "slotwise", "migrate", "-v0"], env=env, capture_output=True, text=True, timeout=120
    )
    assert p.returncode == 0, p.stderr


def test_link_create_list_and_revoke(cli):
    made = json.loads(
        cli(
            "link",
            "create",
            "cli/nia/chat",
            "--expires",
            "7d",
            "--name",
            "Casey Customer",
            "--email",
            "casey@customer.test",
            "--ref",
            "ZD-4711",
            "--by",
            "nia@cli.test",
            "--now",
            "2026-03-02T08:00:00Z",
            "--json",
        ).stdout
    )
    assert made["state"] == "unused" and made["expires_at"] == "2026-03-09T08:00:00Z"
    assert made["prefill"] == {"name": "Casey Customer", "email": "casey@customer.test", "reference": "ZD-4711"}
    assert made["created_by"] == "nia@cli.test" and made["url"].endswith("/") and "/d/" in made["url"]
    listed = json.loads(cli("link", "list", "cli", "--now", "2026-03-02T08:00:00Z", "--json").stdout)
    assert [r["uuid"] for r in listed] == [made["uuid"]]
    # Past its expiry the same link lists as expired.
    later = json.loads(cli("link", "list", "cli/nia/chat", "--now", "2026-03-10T00:00:00Z", "--json").stdout)
    assert later[0]["state"] == "expired"
    assert (
        cli("link", "revoke", made["url"], "--now", "2026-03-02T09:00:00Z").stdout.strip() == f"revoked {made['uuid']}"
    )
    revoked = json.loads(cli("link", "list", "cli", "--state", "revoked", "--json").stdout)
    assert [(r["uuid"], r["revoked_at"]) for r in revoked] == [(made["uuid"], "2026-03-02T09:00:00Z")]


def test_link_errors_say_what_to_fix_and_exit_2(cli):
    bad = cli("link", "create", "cli/nia/chat", "--expires", "tomorrow-ish", ok=False)
    assert bad.returncode == 2 and "neither a duration such as 7d" in bad.stderr and "Traceback" not in bad.stderr
    again = cli("link", "revoke", "00000000-0000-0000-0000-000000000000", ok=False)
    assert again.returncode == 2 and "no scheduling link" in again.stderr


def test_cli_book_is_refused_by_a_weekly_limit_in_the_words_of_the_pages_and_the_api(cli):
    (cli.data / "limits.yaml").write_text(
        textwrap.dedent("""\
        organization: {slug: lim}
        hosts:
          - email: lia@lim.test
            timezone: Europe/Berlin
            weekly: {mon: ["09:00-12:00"], wed: ["09:00-12:00"]}
        event_types:
          - {slug: chat, host: lia@lim.test, name: Chat, duration: 30, window: unlimited, limits: {week: 1}}
    """)
    )
    cli("load", str(cli.data / "limits.yaml"))
    args = ["--name", "Ola", "--email", "ola@example.com", "--tz", "Europe/Oslo", "--now", "2026-03-01T00:00:00Z"]
    cli("book", "lim/lia/chat", "--start", "2026-03-09T08:00:00Z", *args)  # Monday 09:00 CET
    again = cli("book", "lim/lia/chat", "--start", "2026-03-11T08:00:00Z", *args, ok=False)  # Wednesday
    assert again.returncode == 2 and "the host's weekly limit for this event is reached" in again.stderr
