"""The documents that promise something name tests; those tests must exist, so a promise cannot outlive its check."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("doc", ["docs/security.md", "docs/imports.md"])
def test_every_test_a_document_names_exists(doc):
    text = (ROOT / doc).read_text()
    named = re.findall(r"(tests/[\w/]+\.py)(?:::(\w+))?", text)
    assert named, f"{doc} names no tests"
    missing = []
    for path, function in named:
        source = ROOT / path
        if not source.exists():
            missing.append(path)
        elif function and not re.search(rf"def {function}\b", source.read_text()):
            missing.append(f"{path}::{function}")
    assert missing == [], f"{doc} names tests that do not exist: {missing}"
