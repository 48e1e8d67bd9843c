"""Every outbound request goes through slotwise.core.outbound (issue 10, SSRF): no other module in the
package may import an HTTP client of its own. Servers (http.server, the Zoom fake) are fine."""

import ast
from pathlib import Path

import slotwise

CLIENTS = (
    "requests",
    "urllib.request",
    "urllib3",
    "http.client",
    "httpx",
    "aiohttp",
    "niquests",
    "pycurl",
    "caldav",
    "google.auth",
    "googleapiclient",
)
ALLOWED = {"core/outbound.py"}


def _imports(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{a.name}" for a in node.names)


def test_no_module_outside_core_outbound_imports_an_http_client():
    root = Path(slotwise.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel in ALLOWED:
            continue
        for name in _imports(ast.parse(path.read_text(), filename=str(path))):
            if any(name == c or name.startswith(c + ".") for c in CLIENTS):
                found.append(f"{rel}: imports {name}")
    assert found == [], "use slotwise.core.outbound instead:\n" + "\n".join(found)


def test_the_check_finds_a_client_import():
    """The test above would see one: run the same walk over a module that has them."""
    tree = ast.parse("import requests\nfrom urllib import request\nfrom http.client import HTTPConnection\n")
    names = list(_imports(tree))
    assert "requests" in names and "urllib.request" in names and "http.client" in names
