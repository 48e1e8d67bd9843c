import os
from pathlib import Path


def data_dir() -> Path:
    """Where the instance keeps its files: SLOTWISE_DATA_DIR, or ./var (read before settings load by cli/main.py)."""
    return Path(os.environ.get("SLOTWISE_DATA_DIR", Path.cwd() / "var")).resolve()
