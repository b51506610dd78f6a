"""The operator dashboard in a real Chromium: axe (WCAG 2.2 AA) on the login page and
the dashboard in English and French, light and dark, desktop and phone; the charts
under the strict Content-Security-Policy with no JavaScript at all; and an access and
an erasure request answered with the keyboard alone.

The server is started here (the shared fixtures serve the demo without a dashboard):
the real app on a free port, with a month of demo records written through the store.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from werkzeug.security import generate_password_hash

from consent_ui import create_app
from consent_ui.extension import ConsentUI
from examples.demo_log import records, shown_texts
from examples.harness import LiveServer, serve

PASSWORD = "a long operator passphrase"
NOW = datetime.now(UTC).replace(microsecond=0)
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
OPTIONS = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
#: Rules that must have found something to check, so that "no violation" means something.
LOGIN_MUST_RUN = {"color-contrast", "label", "button-name", "html-has-lang", "valid-lang"}
DASHBOARD_MUST_RUN = {
    "color-contrast",
    "label",
    "svg-img-alt",
    "th-has-data-cells",
    "scrollable-region-focusable",
    "html-lang-valid",
    "valid-lang",
}
LOOKS = {
    "desktop-light": {"viewport": {"width": 1280, "height": 900}, "color_scheme": "light"},
    "phone-dark": {"viewport": {"width": 360, "height": 740}, "color_scheme": "dark"},
}

WRONG = {
    "en": "Wrong password. Nothing was opened; try again.",
    "fr": "Mot de passe incorrect. Rien n\u2019a été ouvert ; réessayez.",
}

axe = Axe()


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder: Path = tmp_path_factory.mktemp("dashboard")
    app = create_app(
        {
            "CONSENT_SECRET_KEY": "browser-test-secret-for-the-dashboard",
            "CONSENT_DATABASE": str(folder / "consent.db"),
            "CONSENT_ADMIN_PASSWORD_HASH": generate_password_hash(PASSWORD, "pbkdf2:sha256:1000"),
        }
    )
    state = ConsentUI.state(app)
    texts = shown_texts(app)
    state.store.append_many(
        records(state.policy, texts, days=30, visitors=40, seed=7, now=NOW),
        {h: t for h, t in texts.shown.values()},
    )
    live = serve(app)
    yield live
    live.stop()
    state.store.close()


def new_page(browser: Browser, lang: str, **options: Any) -> Page:
    context = browser.new_context(locale="fr-FR" if lang == "fr" else "en-GB", **options)
    page = context.new_page()
    page.violations = []  # type: ignore[attr-defined]
    page.on(
        "console",
        lambda m: "Content Security Policy" in m.text and page.violations.append(m.text),  # type: ignore[attr-defined]
    )
    return page


@pytest.fixture
def pages(browser: Browser) -> Iterator[list[Page]]:
    made: list[Page] = []
    yield made
    for page in made:
        assert page.violations == [], page.violations  # type: ignore[attr-defined]
        page.context.close()


def assert_accessible(page: Page, must_run: set[str]) -> None:
    results = axe.run(page, options=OPTIONS)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"
    checked = {rule["id"] for rule in results.response["passes"]}
    assert must_run <= checked, f"rules that found nothing to check: {must_run - checked}"


def log_in(page: Page, url: str, lang: str, password: str = PASSWORD) -> None:
    page.goto(f"{url}/admin/login?lang={lang}")
    page.locator("#password").fill(password)
    page.locator("form.login button").click()


@pytest.mark.parametrize("look", LOOKS, ids=LOOKS.keys())
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_login_page(browser, pages, dashboard: LiveServer, lang: str, look: str) -> None:
    page = new_page(browser, lang, **LOOKS[look])
    pages.append(page)
    page.goto(f"{dashboard.url}/admin/login?lang={lang}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert_accessible(page, LOGIN_MUST_RUN)

    log_in(page, dashboard.url, lang, "not the password")
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(WRONG[lang])
    assert_accessible(page, LOGIN_MUST_RUN)


@pytest.mark.parametrize("look", LOOKS, ids=LOOKS.keys())
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_dashboard(browser, pages, dashboard: LiveServer, lang: str, look: str) -> None:
    page = new_page(browser, lang, java_script_enabled=False, **LOOKS[look])
    pages.append(page)
    log_in(page, dashboard.url, lang)
    expect(page).to_have_url(f"{dashboard.url}/admin/")
    heading = "Chiffres du consentement" if lang == "fr" else "Consent figures"
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.locator("html")).to_have_attribute("lang", lang)

    charts = page.locator("svg.chart")
    expect(charts).to_have_count(6)
    for chart in charts.all():
        # Drawn 720 wide with 12-unit text: at 600 px or more, the text is 10 px or more.
        box = chart.bounding_box()
        assert box is not None
        assert box["width"] >= 600, box
    # The stylesheet, not the markup, colours the charts: it did load under the CSP.
    fill = page.locator("#chart-actions-p0 rect").evaluate("r => getComputedStyle(r).fill")
    assert fill in ("rgb(11, 87, 208)", "rgb(168, 199, 250)")
    assert page.locator("script").count() == 0

    # With JavaScript on, axe runs (the page itself has none to run).
    page.context.close()
    page = new_page(browser, lang, **LOOKS[look])
    pages[-1] = page
    log_in(page, dashboard.url, lang)
    expect(page.locator("svg.chart")).to_have_count(6)
    assert_accessible(page, DASHBOARD_MUST_RUN)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_consent_page(browser, pages, dashboard: LiveServer, lang: str) -> None:
    page = new_page(browser, lang)
    pages.append(page)
    store = ConsentUI.state(dashboard.app).store
    consent_id = next(
        r["consent_id"]
        for r in store.export(NOW.date() - timedelta(days=29), NOW.date())
        if r["agent"] is None and r["text_hash"] and r["consent_id"] != "anonymised"
    )
    log_in(page, dashboard.url, lang)
    page.goto(f"{dashboard.url}/admin/consents/{consent_id}?lang={lang}")
    expect(page.locator("blockquote").first).to_be_visible()
    assert_accessible(page, {"color-contrast", "label", "th-has-data-cells", "valid-lang"})


def test_access_and_erasure_with_the_keyboard(browser, pages, dashboard: LiveServer) -> None:
    """A visitor wrote with their consent id: the operator finds it, downloads the
    records, and erases them, from the keyboard alone, in French."""
    store = ConsentUI.state(dashboard.app).store
    counts: dict[str, int] = {}
    for r in store.export(datetime(2000, 1, 1).date(), NOW.date()):
        if r["agent"] is None and r["consent_id"] != "anonymised":
            counts[r["consent_id"]] = counts.get(r["consent_id"], 0) + 1
    consent_id = next(i for i, n in counts.items() if n >= 2)

    page = new_page(browser, "fr")
    pages.append(page)
    page.goto(f"{dashboard.url}/admin/?lang=fr")  # → the login page, then back here
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{dashboard.url}/admin/?lang=fr")

    page.locator("#find-id").focus()
    page.keyboard.type(consent_id.upper())
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{dashboard.url}/admin/consents/{consent_id}")
    expect(page.locator("tbody tr")).to_have_count(counts[consent_id])

    json_link = page.get_by_role("link", name="Enregistrements et textes (JSON)")
    with page.expect_download() as download:
        json_link.focus()
        page.keyboard.press("Enter")
    body = json.loads(Path(download.value.path()).read_text())
    assert body["id"] == consent_id
    assert len(body["records"]) == counts[consent_id]
    assert set(body["texts"]) == {r["text_hash"] for r in body["records"] if r["text_hash"]}

    page.locator("#confirm").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "danger"
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("anonymisés")
    assert store.history(consent_id) == []
    assert [e["action"] for e in store.audit_trail(consent_id)] == ["anonymise"]
