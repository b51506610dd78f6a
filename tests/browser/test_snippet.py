"""The snippet on pages the consent server does not render (issues 4 and 11).

examples/static-site is served from another origin of the same site (127.0.0.1, another
port) and from another site (localhost): a first visit costs one request (consent.js
carries the banner and its stylesheet), nothing gated runs before a choice, the banner
shows the very words the log's text hash stands for, each choice runs exactly the
scripts it allows, exactly once, the token lands where the page can read it, and a
returning visitor's trackers start before any request to the consent server.
"""

from __future__ import annotations

import hashlib

import pytest
from flask_babel import force_locale, gettext
from markupsafe import Markup

from consent_ui.extension import ConsentUI
from consent_ui.views import banner
from tests.browser.conftest import store_of

ALL = ("statistics", "personalization", "marketing")
DIALOG = "[data-consent-preferences]"
#: What the snippet fetches to show its UI.
UI_FETCHES = ("GET /consent/banner", "GET /consent.css", "GET /consent-preferences.css")
#: The whole first visit: the banner and its stylesheet come with the script.
FIRST_VISIT = ["GET /consent.js"]


def partner_video(page):
    return page.frame_locator("iframe[title='Partner video']").locator("body.partner-video")


def test_first_visit_shows_the_banner_and_runs_nothing(origin, consent_server, page, ui):
    requests = ui.requests_to(consent_server.url)
    page.goto(origin + "/")
    ui.banner().wait_for(state="visible")

    assert requests == FIRST_VISIT
    assert page.locator("[data-consent-ui]").get_attribute("lang") == "en"
    # Styled by the stylesheet consent.js carries: a fixed box at the bottom.
    assert ui.banner().evaluate("(b) => getComputedStyle(b).position") == "fixed"
    # Its links lead to the consent server, which the snippet found from its own src.
    assert ui.banner().locator("a").get_attribute("href") == consent_server.url + "/cookies"
    assert ui.banner().locator("h2").inner_text() == "Cookies and your privacy"
    assert page.locator("[data-consent-gpc]").count() == 0
    assert ui.runs() == {}
    assert page.locator('script[type="text/plain"][data-consent]').count() == 3
    assert ui.state() is None
    assert "consent" not in ui.cookie_names()

    iframe = page.locator("iframe[data-consent]")
    assert iframe.get_attribute("src") is None
    assert iframe.get_attribute("data-src") == consent_server.url + "/demo/partner-video"
    assert iframe.is_hidden()
    placeholder = page.locator('[data-consent-placeholder="marketing"]')
    assert placeholder.locator("p").inner_text() == (
        "This content from PartnerTube is blocked because it uses marketing cookies."
    )
    assert placeholder.locator('[data-consent-action="allow"]').inner_text() == (
        "Allow marketing cookies"
    )


def test_a_french_page_gets_the_french_banner(consent_server, site, page, ui):
    app = consent_server.app
    with app.test_request_context(), force_locale("fr"):
        heading = gettext("Cookies and your privacy")
        blocked = gettext(
            "This content from %(service)s is blocked because it uses %(category)s cookies.",
            service="PartnerTube",
            category="marketing",
        )
    assert heading != "Cookies and your privacy"
    ui.record_changes()
    requests = ui.requests_to(consent_server.url)
    page.goto(site.cross_site + "/t/snippet-fr.html")
    ui.banner().wait_for(state="visible")

    assert requests == FIRST_VISIT
    assert page.locator("[data-consent-ui]").get_attribute("lang") == "fr"
    assert ui.banner().locator("h2").inner_text() == heading
    assert page.locator("[data-consent-placeholder] p").inner_text() == blocked

    ui.decide("reject-all")
    record = store_of(consent_server).history(ui.state()["id"])[-1]
    assert (record["lang"], record["page"], record["surface"]) == (
        "fr",
        "/t/snippet-fr.html",
        "banner",
    )


def shown(html: str) -> str:
    """The words of some markup, read as ``banner.shown_text`` reads the template's."""
    return " ".join(Markup(html.replace(">", "> ")).striptags().split())


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("gpc", [False, True], ids=["no-signal", "sec-gpc"])
def test_the_banner_shows_exactly_the_text_the_log_hashes(
    lang, gpc, site, consent_server, page, ui
):
    """The banner is built from what consent.js carries, not from the server's template
    at the time of the choice: the words must be the same, or the log proves nothing."""
    if gpc:
        page.context.set_extra_http_headers({"Sec-GPC": "1"})
    ui.record_changes()
    requests = ui.requests_to(consent_server.url)
    page.goto(f"{site.cross_site}/t/snippet-{lang}.html")
    ui.banner().wait_for(state="visible")
    words = shown(ui.banner().evaluate("(b) => b.outerHTML"))

    with consent_server.app.test_request_context():
        text_hash, text = banner.shown_text("banner", lang, gpc=gpc)
    assert words == text
    assert ("Global Privacy Control" in words) is gpc
    assert requests == FIRST_VISIT
    ui.decide("reject-all")
    [record] = store_of(consent_server).history(ui.state()["id"])
    assert (record["lang"], record["surface"], record["gpc"]) == (lang, "banner", gpc)
    assert record["text_hash"] == text_hash == hashlib.sha256(words.encode()).hexdigest()
    assert store_of(consent_server).text(text_hash) == words


CHOICES = {
    # button on the banner → (logged action, logged surface, categories granted)
    "accept-all": ("accept_all", "banner", ALL),
    "reject-all": ("reject_all", "banner", ()),
    "close": ("reject_all", "banner", ()),
    "customise": ("custom", "preferences", ("statistics", "marketing")),
}


@pytest.mark.parametrize("button", CHOICES)
def test_each_choice_runs_exactly_the_scripts_it_allows(origin, button, consent_server, page, ui):
    action, surface, granted = CHOICES[button]
    ui.record_changes()
    page.goto(origin + "/")
    ui.banner().wait_for(state="visible")

    if button == "customise":
        ui.action("customise").click()
        ui.dialog().wait_for(state="visible")
        for key in granted:
            ui.checkbox(key).check()
        ui.decide("save", DIALOG)
    else:
        ui.decide(button)
    if granted:
        ui.wait_for_runs(*granted)

    assert ui.runs() == dict.fromkeys(granted, 1)
    state = ui.state()
    assert state["categories"] == ["essential", *granted]
    assert ui.changes() == [{**state, "issuedAt": ui.changes()[0]["issuedAt"]}]
    assert ui.banner().is_hidden()
    iframe = page.locator("iframe[data-consent]")
    if "marketing" in granted:
        partner_video(page).wait_for()
        assert iframe.get_attribute("src") == consent_server.url + "/demo/partner-video"
        assert page.locator("[data-consent-placeholder]").count() == 0
    else:
        assert iframe.get_attribute("src") is None
        assert page.locator("[data-consent-placeholder]").is_visible()

    [record] = store_of(consent_server).history(state["id"])
    assert record["action"] == action
    assert record["categories"] == ["essential", *granted]
    assert (record["surface"], record["page"], record["lang"]) == (surface, "/", "en")
    assert record["gpc"] is False


def test_a_second_choice_runs_only_what_it_adds(origin, consent_server, page, ui):
    ui.record_changes()
    page.goto(origin + "/")
    ui.banner().wait_for(state="visible")
    first = page.evaluate("consentUI.set(['statistics'])")
    ui.wait_for_runs("statistics")
    page.evaluate("window.sameDocument = true")

    ui.open_preferences()
    assert ui.checkbox("statistics").is_checked()
    assert not ui.checkbox("personalization").is_checked()
    assert ui.page.locator("[data-consent-id]").inner_text() == first["id"]
    ui.checkbox("personalization").check()
    ui.decide("save", DIALOG)
    ui.wait_for_runs("statistics", "personalization")

    assert ui.runs() == {"statistics": 1, "personalization": 1}
    assert page.evaluate("window.sameDocument") is True
    assert ui.state()["id"] == first["id"]
    records = store_of(consent_server).history(first["id"])
    assert [(r["action"], r["surface"], r["categories"]) for r in records] == [
        ("custom", "api", ["essential", "statistics"]),
        ("custom", "preferences", ["essential", "statistics", "personalization"]),
    ]


# The snippet's own writes of the consent cookie, seen through document.cookie.
COOKIE_WRITES = """
window.consentCookieWrites = [];
const cookie = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
Object.defineProperty(Document.prototype, 'cookie', {
  configurable: true,
  get() { return cookie.get.call(this); },
  set(value) {
    if (value.startsWith('consent=')) window.consentCookieWrites.push(value);
    cookie.set.call(this, value);
  },
});
"""


def test_the_token_is_kept_where_the_page_can_read_it(origin, site, consent_server, page, ui):
    page.add_init_script(COOKIE_WRITES)
    ui.record_changes()
    page.goto(origin + "/")
    ui.banner().wait_for(state="visible")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        ui.decide("reject-all")
    token = answer.value.json()["token"]

    [cookie] = [c for c in page.context.cookies() if c["name"] == "consent"]
    assert (cookie["value"], cookie["path"], cookie["sameSite"]) == (token, "/", "Lax")
    writes = page.evaluate("window.consentCookieWrites")
    if origin == site.same_site:
        # The server's cookie (127.0.0.1, any port) is the page's: no second one.
        assert cookie["domain"] == "127.0.0.1"
        assert writes == []
    else:
        # The server's cookie would be a third-party one: the snippet keeps the token
        # in a first-party cookie of the page's host.
        assert cookie["domain"] == "localhost"
        max_age = ConsentUI.state(consent_server.app).settings.max_age_days * 24 * 3600
        assert writes == [f"consent={token};path=/;max-age={max_age};samesite=lax"]

    page.reload()
    ui.wait_for("window.consentUI && window.consentUI.get()")
    assert ui.state()["categories"] == ["essential"]


# What the page does, in the order it does it: each fetch it starts and each tracker run.
ORDER = """
window.order = [];
const fetch0 = window.fetch;
window.fetch = function (url, options) {
  window.order.push(((options && options.method) || 'GET') + ' ' + new URL(url).pathname);
  return fetch0.apply(this, arguments);
};
window.demoTrackerRuns = new Proxy({}, {
  set(runs, category, count) {
    runs[category] = count;
    window.order.push('run ' + category);
    return true;
  },
});
"""


def test_a_returning_visitor_needs_no_banner_and_trackers_start_first(
    origin, consent_server, page, ui
):
    page.goto(origin + "/")
    ui.banner().wait_for(state="visible")
    page.evaluate("consentUI.acceptAll()")
    ui.wait_for_runs(*ALL)

    page.add_init_script(ORDER)
    requests = ui.requests_to(consent_server.url)
    page.reload()
    ui.wait_for("sessionStorage['consent-ui:verified']")

    # The trackers ran before the snippet asked the server anything.
    assert page.evaluate("window.order") == [*(f"run {c}" for c in ALL), "GET /api/consent"]
    assert ui.runs() == dict.fromkeys(ALL, 1)
    assert page.locator("[data-consent-banner]").count() == 0
    assert not [r for r in requests if r.startswith(UI_FETCHES)]
    assert [r for r in requests if "/api/" in r] == ["GET /api/consent"]

    # Confirmed once per browser session: the next page of this tab does not ask again.
    requests.clear()
    page.reload()
    ui.wait_for_runs(*ALL)
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.order") == [f"run {c}" for c in ALL]
    assert not [r for r in requests if r.startswith(("GET /api/", *UI_FETCHES))]
    assert page.locator("[data-consent-banner]").count() == 0


def test_the_placeholder_allows_its_category_in_place(origin, consent_server, page, ui):
    ui.record_changes()
    page.goto(origin + "/")
    ui.banner().wait_for(state="visible")
    iframe = page.locator("iframe[data-consent]")
    before = iframe.evaluate("(f) => f.previousElementSibling.dataset.consentPlaceholder")

    ui.decide("allow", "[data-consent-placeholder]")
    partner_video(page).wait_for()
    ui.wait_for_runs("marketing")

    assert ui.state()["categories"] == ["essential", "marketing"]
    assert ui.runs() == {"marketing": 1}
    assert page.locator("[data-consent-placeholder]").count() == 0
    assert iframe.is_visible()
    assert iframe.get_attribute("src") == consent_server.url + "/demo/partner-video"
    # Where the placeholder stood, right after the heading.
    assert before == "marketing"
    assert iframe.evaluate("(f) => f.previousElementSibling.textContent") == "A partner video"
    assert ui.banner().is_hidden()
    [record] = store_of(consent_server).history(ui.state()["id"])
    assert (record["action"], record["surface"], record["page"]) == ("custom", "placeholder", "/")
    assert record["categories"] == ["essential", "marketing"]


def test_without_constructed_stylesheets_the_banner_waits_for_the_servers(
    site, consent_server, page, ui
):
    """Browsers before constructable stylesheets (Safari 16.3 and older): the banner's
    stylesheet comes from the server, and the banner shows once it is styled."""
    page.add_init_script("delete Document.prototype.adoptedStyleSheets;")
    requests = ui.requests_to(consent_server.url)
    page.goto(site.cross_site + "/")
    ui.banner().wait_for(state="visible")

    assert requests == [*FIRST_VISIT, "GET /consent.css"]
    assert ui.banner().evaluate("(b) => getComputedStyle(b).position") == "fixed"
    assert page.evaluate("document.adoptedStyleSheets") is None
