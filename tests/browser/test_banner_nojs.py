"""With JavaScript disabled in the browser: the server-rendered banner and the
/preferences page are plain forms that post to /consent and come back; gated
scripts stay text and are never even downloaded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from consent_ui.consent import Consent
from consent_ui.extension import ConsentUI
from consent_ui.policy import load_policy
from consent_ui.testing import ConsentBanner
from examples.harness import LiveServer
from tests.browser.conftest import store_of

POLICY = load_policy()
OPTIONAL = [c.key for c in POLICY.categories if not c.required]
REQUIRED = [c.key for c in POLICY.categories if c.required]
AD = "/ads/samsung-galaxy-a54"


class NoScriptPage:
    """A page without JavaScript, and every URL it asked for."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.requested: list[str] = []
        page.on("request", lambda r: self.requested.append(f"{r.method} {r.url}"))

    def action(self, name: str, within: str = "[data-consent-banner]"):
        return self.page.locator(f'{within} [data-consent-action="{name}"]')

    def submit(self, name: str, back_to: str, within: str = "[data-consent-banner]") -> None:
        """Click a button of a form and follow the 303 back to ``back_to``."""
        with self.page.expect_response(
            lambda r: r.request.method == "POST" and r.url.endswith("/consent")
        ) as posted:
            self.action(name, within).click()
        assert posted.value.status == 303
        assert posted.value.headers["location"] == back_to
        self.page.wait_for_url(f"**{back_to}")

    def consent(self, live: LiveServer) -> Consent:
        cookies = [c for c in self.page.context.cookies(live.url) if c["name"] == "consent"]
        assert len(cookies) == 1
        state = ConsentUI.state(live.app)
        consent = state.signer.verify(cookies[0]["value"], state.policy)
        assert consent is not None
        return consent

    def history(self, live: LiveServer) -> list[dict]:
        return store_of(live).history(self.consent(live).id)

    def assert_nothing_ran(self) -> None:
        assert not [u for u in self.requested if "tracker.js" in u or "/consent.js" in u]
        outputs = self.page.locator("[data-tracker] output")
        for i in range(outputs.count()):
            output = outputs.nth(i)
            assert output.inner_text() != output.get_attribute("data-running")
        assert self.page.locator('script[type="text/plain"][data-consent]').count() == 4
        assert not {"_ga", "_ga_DEMO", "_fbp"} & {c["name"] for c in self.page.context.cookies()}


@pytest.fixture
def nojs(browser: Browser) -> Iterator[NoScriptPage]:
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    yield NoScriptPage(context.new_page())
    context.close()


def test_banner_shows_and_accept_all_comes_back(nojs: NoScriptPage, consent_server: LiveServer):
    page = nojs.page
    page.goto(f"{consent_server.url}{AD}?q=x")
    banner = page.locator("[data-consent-banner]")
    expect(banner).to_be_visible()
    assert banner.evaluate("e => getComputedStyle(e).position") == "fixed"
    for action in ("accept-all", "reject-all", "customise", "close"):
        expect(nojs.action(action)).to_be_visible()

    nojs.submit("accept-all", back_to=f"{AD}?q=x")

    expect(page.locator("[data-consent-banner]")).to_have_count(0)
    [record] = nojs.history(consent_server)
    assert (record["action"], record["surface"], record["page"]) == ("accept_all", "banner", AD)
    assert record["categories"] == [*REQUIRED, *OPTIONAL]
    # Even with every category granted, nothing runs without JavaScript.
    nojs.assert_nothing_ran()
    expect(page.locator("footer [data-consent-open]")).to_be_visible()


def test_continue_without_accepting(nojs: NoScriptPage, consent_server: LiveServer):
    nojs.page.goto(consent_server.url + "/privacy")

    nojs.submit("close", back_to="/privacy")

    expect(nojs.page.locator("[data-consent-banner]")).to_have_count(0)
    [record] = nojs.history(consent_server)
    assert (record["action"], record["surface"], record["page"]) == (
        "reject_all",
        "banner",
        "/privacy",
    )


def test_customise_leads_to_the_preferences_page_and_back(
    nojs: NoScriptPage, consent_server: LiveServer
):
    page = nojs.page
    page.goto(consent_server.url + AD)

    nojs.action("customise").click()

    page.wait_for_url(f"**/preferences?next={AD.replace('/', '%2F')}")
    expect(page.locator("[data-consent-banner]")).to_have_count(0)
    form = "form.cu-prefs"
    for category in POLICY.categories:
        box = page.locator(f'input[name="category"][value="{category.key}"]')
        expect(box).to_be_visible()
        if category.required:
            expect(box).to_be_checked()
            expect(box).to_be_disabled()
        else:
            expect(box).not_to_be_checked()
    page.get_by_label(POLICY.category("statistics").label("en"), exact=True).check()
    page.locator('input[name="category"][value="marketing"]').check()

    nojs.submit("save", back_to=AD, within=form)

    expect(page.locator("[data-consent-banner]")).to_have_count(0)
    [record] = nojs.history(consent_server)
    assert (record["action"], record["surface"], record["page"]) == (
        "custom",
        "preferences",
        "/preferences",
    )
    assert record["categories"] == [*REQUIRED, "statistics", "marketing"]
    nojs.assert_nothing_ran()

    # Cookie management, without JavaScript, is the same page, showing the choice.
    page.locator("footer [data-consent-open]").click()
    page.wait_for_url(f"{consent_server.url}/preferences?next={AD}")
    consent_id = page.locator("[data-consent-id]")
    expect(consent_id).to_be_visible()
    expect(consent_id).to_have_text(nojs.consent(consent_server).id)
    expect(page.locator('input[name="category"][value="statistics"]')).to_be_checked()
    expect(page.locator('input[name="category"][value="personalization"]')).not_to_be_checked()
    nojs.submit("reject-all", back_to=AD, within=form)

    records = nojs.history(consent_server)
    assert [(r["action"], r["surface"]) for r in records] == [
        ("custom", "preferences"),
        ("reject_all", "preferences"),
    ]
    nojs.assert_nothing_ran()


def test_language_switch_without_javascript(nojs: NoScriptPage, consent_server: LiveServer):
    page = nojs.page
    page.goto(consent_server.url + "/cookies")
    page.locator("a[hreflang=fr]").click()
    page.wait_for_url("**/cookies?lang=fr")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(nojs.action("accept-all")).to_have_text("Tout accepter")

    nojs.submit("reject-all", back_to="/cookies?lang=fr")

    [record] = nojs.history(consent_server)
    assert (record["action"], record["lang"], record["page"]) == ("reject_all", "fr", "/cookies")


def test_the_qa_kits_banner_page_object_without_javascript(
    nojs: NoScriptPage, consent_server: LiveServer
):
    """``ConsentBanner.reject_all`` returns once the form has posted and the page has
    come back without the banner, as with the snippet."""
    page = nojs.page
    page.goto(f"{consent_server.url}{AD}")
    ConsentBanner(page).reject_all()
    assert page.url == f"{consent_server.url}{AD}"
    assert page.evaluate("document.readyState") == "complete"
    assert page.locator("[data-consent-banner]").count() == 0
    [record] = nojs.history(consent_server)
    assert (record["action"], record["surface"]) == ("reject_all", "banner")
