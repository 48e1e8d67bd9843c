"""The documents that promise something name tests; those tests must exist, so a promise cannot outlive its check."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "doc", ["docs/security.md", "docs/agencies.md", "docs/seed-001.md", "docs/imports.md", "docs/scaling.md"]
)
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


def test_every_sentence_of_seed_001_is_linked_to_a_test():
    """docs/seed-001.md: one row per sentence of the article, numbered without gaps, each naming a test."""
    rows = [line for line in (ROOT / "docs/seed-001.md").read_text().splitlines() if re.match(r"\| \d+ \|", line)]
    numbers = [int(r.split("|")[1]) for r in rows]
    assert numbers == list(range(1, len(rows) + 1)) and len(rows) >= 50
    unlinked = [r for r in rows if not re.search(r"tests/[\w/]+\.py::\w+", r.split("|")[4])]
    assert unlinked == []
