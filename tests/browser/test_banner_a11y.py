"""axe-core with the WCAG 2.2 AA tags: the banner and the open preferences dialog, in
both languages, at a desktop and a phone width, in light and dark; and the consent
pages. Zero violations, and proof that the rules that matter did run.

axe is injected with ``page.evaluate``, which DevTools runs outside the page's
Content-Security-Policy: the demo's strict CSP stays on (no ``bypass_csp``).
"""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from examples.harness import LiveServer
from tests.browser.conftest import ConsentPage

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
OPTIONS = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
VIEWPORTS = {"1280x800": {"width": 1280, "height": 800}, "360x740": {"width": 360, "height": 740}}
#: Rules that must have found something to check, so that "no violation" means something.
MUST_RUN = {"color-contrast", "button-name", "html-has-lang", "html-lang-valid", "valid-lang"}
#: With a modal dialog open, axe may test the dialog alone (the rest is inert).
DIALOG_MUST_RUN = {
    "color-contrast",
    "button-name",
    "label",
    "summary-name",
    "aria-valid-attr-value",
}

axe = Axe()


def assert_accessible(page: Page, *, must_run: set[str] = MUST_RUN) -> dict[str, Any]:
    results = axe.run(page, options=OPTIONS)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"
    checked = {rule["id"] for rule in results.response["passes"]}
    assert must_run <= checked, f"rules that found nothing to check: {must_run - checked}"
    return results.response


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_banner_and_dialog(new_ui, consent_server: LiveServer, lang, viewport, scheme):
    ui = new_ui(viewport=viewport, color_scheme=scheme)
    ui.page.goto(f"{consent_server.url}/?lang={lang}")
    expect(ui.banner()).to_be_visible()
    ui.wait_for("window.consentUI")
    assert ui.page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (
        scheme == "dark"
    )

    assert_accessible(ui.page)

    ui.action("customise").click()
    expect(ui.dialog()).to_be_visible()
    assert ui.dialog().evaluate("d => d.closest('[lang]').lang") == lang
    assert ui.dialog().evaluate("d => d.open && d.matches(':modal')")
    assert_accessible(ui.page, must_run=DIALOG_MUST_RUN)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_dialog_with_a_choice(ui: ConsentPage, consent_server: LiveServer, lang):
    ui.page.goto(f"{consent_server.url}/ads/toyota-corolla-2012?lang={lang}")
    ui.wait_for("window.consentUI")
    ui.choose("accept-all")
    expect(ui.banner()).to_be_hidden()

    ui.open_preferences()
    expect(ui.dialog().locator("[data-consent-id]")).to_be_visible()

    assert_accessible(ui.page, must_run=DIALOG_MUST_RUN)


#: Both languages in light at both widths; dark (colours only) in English.
PAGE_LOOKS = [
    ("en", "1280x800", "light"),
    ("fr", "1280x800", "light"),
    ("en", "360x740", "light"),
    ("fr", "360x740", "light"),
    ("en", "1280x800", "dark"),
]


@pytest.mark.parametrize(("lang", "viewport", "scheme"), PAGE_LOOKS, ids=map("-".join, PAGE_LOOKS))
def test_consent_pages(new_ui, consent_server: LiveServer, lang, viewport, scheme):
    ui = new_ui(viewport=VIEWPORTS[viewport], color_scheme=scheme)
    for path in ("/cookies", "/privacy", "/preferences"):
        ui.page.goto(f"{consent_server.url}{path}?lang={lang}")
        expect(ui.page.locator("html")).to_have_attribute("lang", lang)
        ui.wait_for("window.consentUI")
        if path == "/preferences":
            expect(ui.banner()).to_have_count(0)
        else:
            expect(ui.banner()).to_be_visible()

        assert_accessible(ui.page)
