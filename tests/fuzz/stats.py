"""What the fuzz suite shares: its budget, its server's configuration and the count of
every answer by status (kept out of conftest.py, which pytest imports under another name)."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

from tests.conftest import ALLOWED_ORIGIN, SECRET

#: Examples per route (hypothesis) and per operation (schemathesis).
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
#: Status counts, per suite ("routes", "openapi").
STATUSES: dict[str, Counter[int]] = {}


def count(suite: str, status: int) -> None:
    STATUSES.setdefault(suite, Counter())[status] += 1


def fuzz_config(directory: Path) -> dict[str, Any]:
    """One trusted proxy, so that X-Forwarded-* are fuzzed through ProxyFix too."""
    return {
        "CONSENT_SECRET_KEY": SECRET,
        "CONSENT_DATABASE": str(directory / "consent.db"),
        "CONSENT_ALLOWED_ORIGINS": ALLOWED_ORIGIN,
        "CONSENT_TRUSTED_PROXIES": 1,
    }
