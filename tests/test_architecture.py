"""The house stays as docs/architecture.md draws it: lower layers never import higher ones."""

import subprocess
import sys

from tests import architecture

LINT = (
    "import sys; from importlinter.cli import lint_imports; "
    "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))"
)


def test_import_layers_hold():
    """The import-linter contracts in pyproject.toml: the engine is pure, and each layer imports only the
    layers below it. The output names the offending import (module, line) when one appears."""
    p = subprocess.run([sys.executable, "-c", LINT], cwd=architecture.ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr


def test_architecture_doc_draws_the_current_graph():
    assert architecture.current() == architecture.render(), (
        "docs/architecture.md is out of date with the imports: run `python -m tests.architecture`"
    )
