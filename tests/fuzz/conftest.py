"""The fuzz suite: hypothesis over every route (test client, the whole WSGI stack) and
schemathesis over the OpenAPI document (a real server on a free port).

The invariant everywhere: never a 5xx, and nothing written on a 4xx. The budget is
``FUZZ_EXAMPLES`` examples per route or operation: small by default so that CI
stays fast, large for ``python3 dev.py fuzz``. Every request is counted by status; the
counts are printed at the end (and written as JSON to ``FUZZ_REPORT`` if set).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from consent_ui import create_app
from consent_ui.extension import ConsentUI
from tests.fuzz.stats import EXAMPLES, STATUSES, fuzz_config


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app(fuzz_config(tmp_path_factory.mktemp("fuzz")))
    yield app
    ConsentUI.state(app).store.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not STATUSES:
        return
    report = {
        suite: {
            "requests": sum(counts.values()),
            "5xx": sum(n for s, n in counts.items() if s >= 500),
            "statuses": {str(s): n for s, n in sorted(counts.items())},
        }
        for suite, counts in sorted(STATUSES.items())
    }
    total = sum(r["requests"] for r in report.values())
    terminalreporter.section(f"fuzz: {total} requests, {EXAMPLES} examples per route")
    for suite, figures in report.items():
        statuses = ", ".join(f"{s}: {n}" for s, n in figures["statuses"].items())
        terminalreporter.write_line(
            f"{suite}: {figures['requests']} requests, 5xx: {figures['5xx']} ({statuses})"
        )
    target = os.environ.get("FUZZ_REPORT")
    if target:
        Path(target).write_text(json.dumps({"examples": EXAMPLES, **report}, indent=2) + "\n")
