"""Which Chromium consent-ui's tools drive, and how they launch it.

The scanner and the QA kit use Playwright's own Chromium where ``playwright install
chromium`` could download it, and the system's (Debian's ``chromium``, Google Chrome)
where it could not: behind a proxy, in a locked-down CI, on a distribution Playwright
does not support. Run as root, Chromium needs ``--no-sandbox``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

#: Names of a system Chromium, in the order they are tried.
SYSTEM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

#: Quiet, deterministic runs: no updates, sync or first-run pages talking to the network.
ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


class NoChromium(RuntimeError):
    """Neither Playwright's Chromium nor a system one is installed."""


def executable(playwright: Any) -> str | None:
    """None to launch Playwright's own Chromium, else the path of the system's."""
    if Path(playwright.chromium.executable_path).exists():
        return None
    for name in SYSTEM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise NoChromium(
        "no Chromium to drive: run `python -m playwright install chromium`, or install "
        "your system's chromium package"
    )


def launch_args(extra: tuple[str, ...] | list[str] = ()) -> list[str]:
    """Command-line switches for a headless run, as the current user may launch it."""
    args = list(ARGS)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to run as root without it
    return [*args, *extra]


def launch(playwright: Any, extra: tuple[str, ...] | list[str] = (), **options: Any) -> Any:
    """A headless Chromium: Playwright's own where installed, else the system's."""
    return playwright.chromium.launch(
        executable_path=executable(playwright), args=launch_args(extra), **options
    )


def user_agent(browser: Any) -> str:
    """What a launched Playwright browser sends as its User-Agent (a page asks it)."""
    page = browser.new_page()
    try:
        return page.evaluate("() => navigator.userAgent")
    finally:
        page.close()
