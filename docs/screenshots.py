"""Regenerate the README's screenshots (the French banner and preferences dialog).

.venv/bin/python docs/screenshots.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))

from playwright.sync_api import sync_playwright  # noqa: E402

from consent_ui import create_app  # noqa: E402
from examples.harness import CHROMIUM_ARGS, chromium_executable, serve  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "CONSENT_SECRET_KEY": "docs-screenshots-key-of-32-characters",
                "CONSENT_DATABASE": f"{tmp}/c.db",
            }
        )
        live = serve(app)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=chromium_executable(p), args=CHROMIUM_ARGS
                )
                page = browser.new_page(viewport={"width": 1100, "height": 720}, locale="fr-FR")
                page.goto(live.url + "/?lang=fr")
                page.locator("[data-consent-banner]").wait_for()
                page.screenshot(path=DOCS / "banner-fr.png")
                page.locator('[data-consent-action="customise"]').click()
                page.locator("[data-consent-preferences]").wait_for()
                page.locator("[data-consent-preferences] details").first.click()
                page.screenshot(path=DOCS / "preferences-fr.png")
                browser.close()
        finally:
            live.stop()
    print("wrote", DOCS / "banner-fr.png", "and", DOCS / "preferences-fr.png")


if __name__ == "__main__":
    main()
