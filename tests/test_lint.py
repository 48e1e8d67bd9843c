"""The code checks CI holds the tree to: ruff's rule sets in pyproject.toml (bandit, SIM, complexity <= 25)."""

import subprocess
import sys

from tests import architecture


def test_ruff_check_is_clean():
    p = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "src", "tests"],
        cwd=architecture.ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stdout + p.stderr


def test_ruff_format_is_clean():
    """One layout for every file, so that a diff shows what changed and never how it was typed."""
    p = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", "src", "tests"],
        cwd=architecture.ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, "run `ruff format src tests`:\n" + p.stdout + p.stderr
