"""axe-core (from the npm registry) for the accessibility sweep: fetched once with `npm pack` into a cache
directory (SLOTWISE_TEST_CACHE, default .cache/ in the checkout; ./run test fetches it before the suite),
then injected into pages by Playwright."""

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from functools import lru_cache
from pathlib import Path

AXE = "axe-core@4"
CACHE = Path(os.environ.get("SLOTWISE_TEST_CACHE") or Path(__file__).resolve().parents[2] / ".cache") / "axe-core"
# WCAG 2.0/2.1/2.2 A and AA, and the best practices the issue names (heading-order, empty-table-header).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def fetch() -> Path:
    """The cached axe.min.js, fetched with npm on a fresh machine."""
    found = sorted(CACHE.glob("*/package/axe.min.js"))
    if found:
        return found[-1]
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("the accessibility tests need npm to fetch axe-core (apt-get install npm)")
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        out = subprocess.run(
            [npm, "pack", AXE, "--json", "--pack-destination", tmp],
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp,
        ).stdout
        info = json.loads(out)[0]
        target = CACHE / f"axe-core-{info['version']}"
        with tarfile.open(Path(tmp) / info["filename"]) as tgz:
            tgz.extractall(target, filter="data")
    return target / "package" / "axe.min.js"


@lru_cache(maxsize=1)
def source() -> str:
    return fetch().read_text(encoding="utf-8")


def violations(page) -> list[dict]:
    """axe's violations on the page as it is now (the context must bypass the page's CSP to inject it)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(source())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", TAGS
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result["violations"]
    ]


if __name__ == "__main__":  # ./run test fetches it before the suite, so parallel workers find it cached
    print(fetch())
