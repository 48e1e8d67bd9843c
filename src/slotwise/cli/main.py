"""The `slotwise` command. Each verb is a Django management command underneath."""

import os
import sys

VERBS = {
    "serve": "run Slotwise at http://127.0.0.1:8000 (migrates first; --host, --port; runs the worker alongside)",
    "migrate": "create or update the database tables",
    "worker": "work the background job queue (emails, webhooks, reminders, calendar sync)",
    "demo": "create the demo organization (idempotent) and print a login and booking URLs",
    "load": "load FILE: create or update an organization from a YAML or JSON file (see docs/load-format.md)",
    "availability": "availability ORG/HOST/EVENT --from DATE --to DATE --tz ZONE [--now INSTANT] [--json]",
    "book": "book ORG/HOST/EVENT --start INSTANT --name N --email E --tz ZONE [--now INSTANT]",
    "bench": "bench engine|pages|book|notify|sync|import|jobs|load: run a benchmark and print its figures",
    "tzdata": "tzdata check [--json] [--now INSTANT]: bookings whose local time a time-zone rule change moved",
    "link": "link create ORG/HOST/EVENT [--expires 7d] [--name N] [--email E] [--ref R]; link list ORG; link revoke UUID",
    "token": "token create --email EMAIL [--scope read|write] [--org ORG]; token revoke PREFIX",
    "connections": "connections add calendly --org ORG --user EMAIL (--token T | --oauth) [--api-base URL]; "
    "connections list --org ORG | calendars ID | select ID CAL... | deselect ID CAL... "
    "[--delete-synced] | sync ID | remove ID [--delete-synced]: import a Calendly account",
    "contacts": "contacts list --org ORG [--search TEXT] [--json]: contacts with their assigned user",
    "bookings": "bookings list --org ORG [--source import] [--status S] [--json]: appointments by start",
    "export": "export ORG [--out FILE]: write an organization (an agency with its sub-accounts) as a load file",
    "createsuperuser": "create an operator account for /admin/",
    "manage": "manage COMMAND ...: any Django management command",
}


def usage() -> str:
    width = max(map(len, VERBS))
    lines = ["usage: slotwise VERB [options]    (slotwise VERB --help for a verb's options)", "", "verbs:"]
    lines += [f"  {verb.ljust(width)}  {text}" for verb, text in VERBS.items()]
    lines += [
        "",
        "every verb that takes --org (or an ORG/... path) acts in exactly that organization: an agency's",
        "verbs never reach into its sub-accounts, nor a sub-account's into its agency.",
        "",
        "settings come from the environment: DATABASE_URL (default: SQLite in ./var), REDIS_URL,",
        "SLOTWISE_SECRET_KEY, SLOTWISE_ENV=production, SLOTWISE_ALLOWED_HOSTS, SLOTWISE_BASE_URL, SLOTWISE_SMTP_*.",
    ]
    return "\n".join(lines)


def _listen_address_into_env(args: list[str]) -> None:
    """`serve --port 8765`: settings read SLOTWISE_PORT/SLOTWISE_HOST for the links Slotwise writes (BASE_URL),
    so set them before settings load; the worker started alongside inherits them."""
    for flag, var in (("--port", "SLOTWISE_PORT"), ("--host", "SLOTWISE_HOST")):
        for i, a in enumerate(args):
            if a == flag and i + 1 < len(args):
                os.environ[var] = args[i + 1]
            elif a.startswith(flag + "="):
                os.environ[var] = a.split("=", 1)[1]


def _no_debug_pages_for_visitors() -> None:
    """`serve` (and so `./run start`, the demo) serves people, not a developer at a console: an unknown
    address gets the friendly 404 page, never Django's list of every URL pattern, and an error the 500 page,
    never a traceback. SLOTWISE_DEBUG=1 still turns the debug pages on for someone who wants them."""
    os.environ.setdefault("SLOTWISE_DEBUG", "0")


def _metrics_directory_into_env() -> None:
    """`serve` runs several gunicorn workers and a job worker: each counts its metrics in files of its own
    under PROMETHEUS_MULTIPROC_DIR, and /metrics adds them up (core/metrics.py). prometheus_client reads the
    variable when it is first imported, so it is set here, before Django loads; the files of a previous run
    are removed, so counters start at zero with the new processes. An operator's own setting is kept."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    from slotwise.config.datadir import data_dir

    folder = data_dir() / "prometheus"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.db"):
        old.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    verb, rest = argv[0], argv[1:]
    if verb not in VERBS:
        print(f"slotwise: unknown verb {verb!r}\n\n{usage()}", file=sys.stderr)
        return 2
    if verb == "serve":
        _listen_address_into_env(rest)
        _no_debug_pages_for_visitors()
        _metrics_directory_into_env()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slotwise.config.settings")
    from django.core.management import execute_from_command_line

    if verb == "manage":
        execute_from_command_line(["slotwise", *rest])
    else:
        execute_from_command_line(["slotwise", verb, *rest])
    return 0


if __name__ == "__main__":
    sys.exit(main())
