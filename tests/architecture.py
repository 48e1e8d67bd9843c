"""Draws the import graph between Slotwise's top-level packages into docs/architecture.md.

    python -m tests.architecture          rewrite the generated block of docs/architecture.md
    python -m tests.architecture --check  exit 1 if the block is out of date

The layers come from the import-linter contract in pyproject.toml (the one place they are written);
the arrows come from the code (grimp, the graph import-linter itself reads). tests/test_architecture.py
checks both: the contracts hold, and the drawing is the code's.
"""

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
BEGIN = "<!-- BEGIN GENERATED GRAPH: python -m tests.architecture -->"
END = "<!-- END GENERATED GRAPH -->"


def layers() -> list[list[str]]:
    """The layers contract, top first, each a list of sibling packages."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contract = next(c for c in config["contracts"] if c["id"] == "layers")
    return [[name.strip() for name in layer.split("|")] for layer in contract["layers"]]


def edges() -> list[tuple[str, str]]:
    """(importer, imported) for every pair of top-level packages with at least one direct import."""
    import grimp

    graph = grimp.build_graph("slotwise", cache_dir=None)
    names = [n for layer in layers() for n in layer]
    out = []
    for a in names:
        for b in names:
            if a != b and graph.direct_import_exists(
                importer=f"slotwise.{a}", imported=f"slotwise.{b}", as_packages=True
            ):
                out.append((a, b))
    return out


def render() -> str:
    lines = ["```mermaid", "flowchart TD"]
    for i, layer in enumerate(layers()):
        lines.append(f'  subgraph L{i}["{" | ".join(layer)}"]')
        lines += [f"    {name}" for name in layer]
        lines.append("  end")
    lines += [f"  {a} --> {b}" for a, b in edges()]
    lines.append("```")
    return "\n".join([BEGIN, *lines, END])


def current() -> str:
    text = DOC.read_text()
    return text[text.index(BEGIN) : text.index(END) + len(END)]


def main(argv: list[str]) -> int:
    block = render()
    if "--check" in argv:
        return 0 if current() == block else 1
    text = DOC.read_text()
    DOC.write_text(text.replace(current(), block))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
