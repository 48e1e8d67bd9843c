"""Package the extension: dist/slotwise-chromium.zip and dist/slotwise-firefox.zip from one code base.

The source manifest carries both browsers' keys; each package keeps only its own browser's: Chromium gets
`key` (which fixes the extension id, and so the OAuth redirect URI), Firefox gets `browser_specific_settings`
(its gecko id does the same). Everything else is the same files. Usage: python build.py OUT_DIR"""

import json
import shutil
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
SHIPPED = ["src", "icons"]
FIXED_TIME = (2026, 1, 1, 0, 0, 0)  # the same bytes for the same sources


def files() -> list[Path]:
    out = []
    for top in SHIPPED:
        out += sorted(p for p in (HERE / top).rglob("*") if p.is_file() and not p.name.startswith("."))
    return out


def manifest_for(browser: str) -> dict:
    manifest = json.loads((HERE / "manifest.json").read_text())
    if browser == "chromium":
        manifest.pop("browser_specific_settings", None)
    else:
        manifest.pop("key", None)
    return manifest


def build(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    made = []
    for browser in ("chromium", "firefox"):
        unpacked = out / browser
        shutil.rmtree(unpacked, ignore_errors=True)
        unpacked.mkdir()
        zpath = out / f"slotwise-{browser}.zip"
        manifest = json.dumps(manifest_for(browser), indent=2) + "\n"
        (unpacked / "manifest.json").write_text(manifest)
        with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:
            info = zipfile.ZipInfo("manifest.json", FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, manifest)
            for f in files():
                rel = f.relative_to(HERE).as_posix()
                (unpacked / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(f, unpacked / rel)
                info = zipfile.ZipInfo(rel, FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, f.read_bytes())
        made.append(zpath)
    return made


if __name__ == "__main__":
    for path in build(Path(sys.argv[1] if len(sys.argv) > 1 else HERE.parent / "dist")):
        print(path)
