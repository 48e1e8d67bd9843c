"""Run the schemathesis CLI with one compatibility patch.

caldav pulls in niquests, whose urllib3-future installs itself as `urllib3`; its pool container has no
`.keys()`, which schemathesis (4.32) uses only to count open connections before re-sending a request on a
dropped keep-alive connection. Counting zero keeps that behaviour for a real drop and changes nothing else."""

import sys

import schemathesis.transport.requests as transport

_original = transport._count_opened_connections


def _count_opened_connections(session) -> int:
    try:
        return _original(session)
    except AttributeError:
        return 0


transport._count_opened_connections = _count_opened_connections

if __name__ == "__main__":
    from schemathesis.cli import schemathesis

    sys.argv[0] = "st"
    schemathesis()
