"""Example counts for Hypothesis tests, scaled by the profile (see tests/conftest.py)."""

import os


def examples(n: int) -> int:
    """The full count `n` under the "ci" profile (the default, and CI's); a fifth of it under "dev"."""
    return n if os.environ.get("HYPOTHESIS_PROFILE", "ci") != "dev" else max(5, n // 5)
