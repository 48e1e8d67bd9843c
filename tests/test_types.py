"""The engine and every services.py / selectors.py type-check with mypy and the django-stubs plugin."""

import os
import subprocess
import sys

from tests import architecture


def test_mypy_is_clean_on_the_engine_services_and_selectors(tmp_path_factory):
    # The files and settings are pyproject.toml's [tool.mypy]; a cache of our own keeps the tree clean.
    cache = tmp_path_factory.mktemp("mypy-cache")
    env = {**os.environ, "PYTHONPATH": str(architecture.ROOT / "src")}
    p = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(cache)],
        cwd=architecture.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stdout + p.stderr
