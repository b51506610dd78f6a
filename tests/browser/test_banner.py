"""The banner and the preferences dialog on the demo pages, in a real Chromium against
the real server: first visit, each choice, what runs after it, the proof in the log,
equal prominence of Accept all and Reject all, and a banner that covers nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from consent_ui.consent import Consent
from consent_ui.extension import ConsentUI
from consent_ui.policy import load_policy
from examples.harness import LiveServer
from tests.browser.conftest import ConsentPage, store_of

POLICY = load_policy()
OPTIONAL = [c.key for c in POLICY.categories if not c.required]
REQUIRED = [c.key for c in POLICY.categories if c.required]
AD = "/ads/studio-bastos"
#: The gated scripts of a demo page, in document order: one tracker per optional
#: category, then the inline statistics one.
GATED = [*OPTIONAL, "statistics"]
ALL_RAN = "Object.keys(window.demoTrackerRuns || {}).length == %d && window.demoInlineRuns == 1"

TEXTS = {
    "en": {
        "title": "Cookies and your privacy",
        "accept-all": "Accept all",
        "reject-all": "Reject all",
        "customise": "Customise",
        "close": "Continue without accepting",
        "manage": "Cookie management",
    },
    "fr": {
        "title": "Les cookies et votre vie privée",
        "accept-all": "Tout accepter",
        "reject-all": "Tout refuser",
        "customise": "Personnaliser",
        "close": "Continuer sans accepter",
        "manage": "Gestion des cookies",
    },
}


def consent_of(ui: ConsentPage, live: LiveServer) -> Consent | None:
    """The consent cookie of the browser, verified by the server's own signer."""
    cookies = [c for c in ui.page.context.cookies(live.url) if c["name"] == "consent"]
    if not cookies:
        return None
    state = ConsentUI.state(live.app)
    return state.signer.verify(cookies[0]["value"], state.policy)


def inert(page: Page) -> list[str]:
    """The categories of the gated scripts still inert (``type="text/plain"``). The
    snippet swaps an allowed script for a live one in the microtask after a choice,
    so a choice that allowed anything shows here by the next evaluation."""
    return page.evaluate(
        """() => [...document.querySelectorAll('script[type="text/plain"][data-consent]')]
            .map((s) => s.dataset.consent)"""
    )


def running(page: Page) -> dict[str, bool]:
    """What the demo page itself says about each tracker (its ``output`` elements)."""
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('[data-tracker]')].map(
            (li) => [li.dataset.tracker, li.querySelector('output').textContent
                == li.querySelector('output').dataset.running]))"""
    )


def assert_nothing_ran(ui: ConsentPage) -> None:
    assert inert(ui.page) == GATED
    assert ui.runs() == {}
    assert ui.page.evaluate("typeof window.demoInlineRuns") == "undefined"
    assert running(ui.page) == {key: False for key in [*OPTIONAL, "inline"]}
    assert not {"_ga", "_ga_DEMO", "_fbp"} & ui.cookie_names()
    assert ui.page.evaluate("Object.keys(localStorage)") == []


# ---- first visit ----


@pytest.mark.parametrize(
    ("locale", "lang"), [("en-GB", "en"), ("fr-FR", "fr")], ids=["en-GB", "fr-FR"]
)
def test_first_visit_in_the_browser_language(
    new_ui, consent_server: LiveServer, locale: str, lang: str
):
    ui = new_ui(locale=locale)
    ui.page.goto(consent_server.url + "/")

    expect(ui.page.locator("html")).to_have_attribute("lang", lang)
    banner = ui.banner()
    expect(banner).to_be_visible()
    expect(ui.page.locator("[data-consent-ui]")).to_have_attribute("lang", lang)
    expect(banner).to_have_accessible_name(TEXTS[lang]["title"])
    for action in ("accept-all", "reject-all", "customise", "close"):
        expect(ui.action(action)).to_be_visible()
        expect(ui.action(action)).to_have_accessible_name(TEXTS[lang][action])
    expect(ui.page.locator("footer [data-consent-open]")).to_have_text(TEXTS[lang]["manage"])
    ui.wait_for("window.consentUI")
    assert_nothing_ran(ui)
    assert "consent" not in ui.cookie_names()
    assert ui.state() is None


def test_first_visit_through_the_language_switch(ui: ConsentPage, consent_server: LiveServer):
    ui.page.goto(consent_server.url + AD)
    expect(ui.action("accept-all")).to_have_accessible_name(TEXTS["en"]["accept-all"])

    ui.page.locator("a[hreflang=fr]").click()

    ui.page.wait_for_url(f"**{AD}?lang=fr")
    expect(ui.page.locator("html")).to_have_attribute("lang", "fr")
    expect(ui.banner()).to_be_visible()
    expect(ui.banner()).to_have_accessible_name(TEXTS["fr"]["title"])
    for action in ("accept-all", "reject-all", "customise", "close"):
        expect(ui.action(action)).to_have_accessible_name(TEXTS["fr"][action])
    assert "lang" in ui.cookie_names()
    ui.wait_for("window.consentUI")
    assert_nothing_ran(ui)
    # The language sticks on the next page, without ?lang=.
    ui.page.goto(consent_server.url + "/cookies")
    expect(ui.page.locator("html")).to_have_attribute("lang", "fr")
    expect(ui.action("accept-all")).to_have_accessible_name(TEXTS["fr"]["accept-all"])


# ---- the choices ----


def test_accept_all(ui: ConsentPage, consent_server: LiveServer):
    ui.page.goto(consent_server.url + AD + "?utm_source=test")
    ui.wait_for("window.consentUI")

    ui.choose("accept-all")

    ui.wait_for(ALL_RAN % len(OPTIONAL))
    expect(ui.banner()).to_be_hidden()
    assert inert(ui.page) == []
    assert ui.runs() == {key: 1 for key in OPTIONAL}
    assert ui.page.evaluate("window.demoInlineRuns") == 1
    assert running(ui.page) == {key: True for key in [*OPTIONAL, "inline"]}
    assert ui.state()["categories"] == [*REQUIRED, *OPTIONAL]
    consent = consent_of(ui, consent_server)
    assert consent is not None
    assert list(consent.granted) == [*REQUIRED, *OPTIONAL]
    assert ui.state()["id"] == consent.id
    [row] = store_of(consent_server).history(consent.id)
    assert (row["action"], row["surface"], row["page"], row["lang"]) == (
        "accept_all",
        "banner",
        AD,
        "en",
    )
    assert row["categories"] == [*REQUIRED, *OPTIONAL]


@pytest.mark.parametrize("action", ["reject-all", "close"])
def test_reject_all_and_continue_without_accepting(
    ui: ConsentPage, consent_server: LiveServer, action: str
):
    ui.page.goto(consent_server.url + "/")
    ui.wait_for("window.consentUI")

    ui.choose(action)

    expect(ui.banner()).to_be_hidden()
    ui.wait_for("window.consentUI.get() !== null")
    assert_nothing_ran(ui)
    # The partner video stays behind its placeholder.
    expect(ui.page.locator("[data-consent-placeholder=marketing]")).to_be_visible()
    expect(ui.page.locator("iframe[data-consent=marketing]")).to_be_hidden()
    consent = consent_of(ui, consent_server)
    assert consent is not None
    assert list(consent.granted) == REQUIRED
    [row] = store_of(consent_server).history(consent.id)
    assert (row["action"], row["surface"], row["page"]) == ("reject_all", "banner", "/")
    assert row["categories"] == REQUIRED


def test_customise_opens_the_dialog_and_saves_one_category(
    ui: ConsentPage, consent_server: LiveServer
):
    ui.page.goto(consent_server.url + "/")
    ui.wait_for("window.consentUI")

    ui.action("customise").click()

    dialog = ui.dialog()
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("role", "dialog")
    expect(dialog).to_have_attribute("aria-modal", "true")
    expect(dialog).to_have_accessible_name(TEXTS["en"]["manage"])
    assert dialog.evaluate("d => d.open && d.matches(':modal')")
    for category in POLICY.categories:
        box = ui.checkbox(category.key)
        expect(box).to_have_accessible_name(category.label("en"))
        if category.required:
            expect(box).to_be_checked()
            expect(box).to_be_disabled()
        else:
            expect(box).not_to_be_checked()
            expect(box).to_be_enabled()
    expect(dialog.locator("[data-consent-id]")).to_be_hidden()

    ui.checkbox("statistics").click()
    expect(ui.checkbox("statistics")).to_be_checked()
    ui.choose("save", within="[data-consent-preferences]")

    ui.wait_for("window.demoInlineRuns == 1")
    expect(ui.dialog()).to_have_count(0)
    expect(ui.banner()).to_be_hidden()
    assert inert(ui.page) == ["personalization", "marketing"]
    assert ui.runs() == {"statistics": 1}
    assert running(ui.page) == {
        "statistics": True,
        "personalization": False,
        "marketing": False,
        "inline": True,
    }
    consent = consent_of(ui, consent_server)
    assert list(consent.granted) == [*REQUIRED, "statistics"]
    [row] = store_of(consent_server).history(consent.id)
    assert (row["action"], row["surface"], row["page"]) == ("custom", "preferences", "/")
    assert row["categories"] == [*REQUIRED, "statistics"]


def test_closing_the_dialog_saves_nothing(ui: ConsentPage, consent_server: LiveServer):
    ui.page.goto(consent_server.url + "/")
    ui.wait_for("window.consentUI")
    records = store_of(consent_server).count()
    ui.action("customise").click()
    expect(ui.dialog()).to_be_visible()
    ui.checkbox("marketing").click()
    expect(ui.checkbox("marketing")).to_be_checked()

    ui.dialog().locator("[data-consent-dismiss]").click()

    expect(ui.dialog()).to_be_hidden()
    expect(ui.action("customise")).to_be_focused()
    expect(ui.banner()).to_be_visible()
    assert store_of(consent_server).count() == records
    assert "consent" not in ui.cookie_names()
    assert_nothing_ran(ui)
    # What was not saved does not come back as if it had been.
    ui.action("customise").click()
    expect(ui.dialog()).to_be_visible()
    expect(ui.checkbox("marketing")).not_to_be_checked()


def test_choice_is_remembered_across_pages(ui: ConsentPage, consent_server: LiveServer):
    ui.page.goto(consent_server.url + "/")
    ui.wait_for("window.consentUI")
    ui.action("customise").click()
    ui.checkbox("marketing").click()
    ui.choose("save", within="[data-consent-preferences]")
    ui.wait_for("window.demoTrackerRuns && window.demoTrackerRuns.marketing == 1")
    consent = consent_of(ui, consent_server)

    for path in (AD, "/cookies", "/privacy", AD + "?lang=fr"):
        ui.page.goto(consent_server.url + path)
        # The server renders no banner at all for a valid choice.
        expect(ui.banner()).to_have_count(0)
        if path.startswith(AD):
            ui.wait_for("window.demoTrackerRuns && window.demoTrackerRuns.marketing == 1")
            assert inert(ui.page) == ["statistics", "personalization", "statistics"]
            assert ui.runs() == {"marketing": 1}
            assert ui.page.evaluate("typeof window.demoInlineRuns") == "undefined"
        assert consent_of(ui, consent_server) == consent
    # Seeing pages writes nothing: the one record is the one choice.
    assert len(store_of(consent_server).history(consent.id)) == 1


def test_cookie_management_link_shows_the_id_and_changes_the_choice(
    ui: ConsentPage, consent_server: LiveServer
):
    ui.page.goto(consent_server.url + "/")
    ui.wait_for("window.consentUI")
    ui.choose("accept-all")
    ui.wait_for(ALL_RAN % len(OPTIONAL))
    consent = consent_of(ui, consent_server)
    assert {"_fbp", "_ga"} <= ui.cookie_names()

    ui.open_preferences()

    dialog = ui.dialog()
    expect(dialog.locator("[data-consent-id]")).to_have_text(consent.id)
    assert [r["action"] for r in store_of(consent_server).history(consent.id)] == ["accept_all"]
    for key in POLICY.keys:
        expect(ui.checkbox(key)).to_be_checked()
    ui.checkbox("personalization").click()
    ui.checkbox("marketing").click()
    # Withdrawing a category whose script already ran reloads the page.
    with ui.page.expect_navigation():
        ui.choose("save", within="[data-consent-preferences]")

    ui.wait_for("window.demoInlineRuns == 1")
    assert inert(ui.page) == ["personalization", "marketing"]
    assert ui.runs() == {"statistics": 1}
    changed = consent_of(ui, consent_server)
    assert changed.id == consent.id
    assert list(changed.granted) == [*REQUIRED, "statistics"]
    rows = store_of(consent_server).history(consent.id)
    assert [(r["action"], r["surface"]) for r in rows] == [
        ("accept_all", "banner"),
        ("custom", "preferences"),
    ]
    assert rows[1]["categories"] == [*REQUIRED, "statistics"]
    # The withdrawn categories' cookies and storage are gone; statistics' remain.
    assert "_fbp" not in ui.cookie_names()
    assert "_ga" in ui.cookie_names()
    assert ui.page.evaluate("Object.keys(localStorage)") == []

    ui.open_preferences()
    expect(ui.dialog().locator("[data-consent-id]")).to_have_text(consent.id)
    expect(ui.checkbox("statistics")).to_be_checked()
    expect(ui.checkbox("marketing")).not_to_be_checked()


# ---- equal prominence, a banner that covers nothing ----

VIEWPORTS = {"1280px": {"width": 1280, "height": 800}, "360px": {"width": 360, "height": 740}}

#: Everything that makes a button stand out, read from the computed style.
LOOKS = """(e) => {
  const s = getComputedStyle(e);
  const r = e.getBoundingClientRect();
  const props = ['font-family', 'font-size', 'font-weight', 'font-style', 'line-height',
    'letter-spacing', 'text-transform', 'text-decoration-line', 'color', 'background-color',
    'background-image', 'opacity', 'box-shadow', 'outline-style', 'cursor',
    'padding-top', 'padding-right', 'padding-bottom', 'padding-left'];
  for (const side of ['top', 'right', 'bottom', 'left']) {
    props.push(`border-${side}-width`, `border-${side}-style`, `border-${side}-color`);
  }
  for (const corner of ['top-left', 'top-right', 'bottom-right', 'bottom-left']) {
    props.push(`border-${corner}-radius`);
  }
  const looks = Object.fromEntries(props.map((p) => [p, s.getPropertyValue(p)]));
  return {width: r.width, height: r.height, ...looks};
}"""


@pytest.mark.parametrize("surface", ["banner", "dialog"])
@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_accept_and_reject_have_equal_prominence(
    new_ui, consent_server: LiveServer, viewport: dict, surface: str
):
    ui = new_ui(viewport=viewport)
    ui.page.goto(consent_server.url + "/")
    within = "[data-consent-banner]"
    if surface == "dialog":
        ui.wait_for("window.consentUI")
        ui.action("customise").click()
        expect(ui.dialog()).to_be_visible()
        within = "[data-consent-preferences]"
    accept, reject = ui.action("accept-all", within), ui.action("reject-all", within)
    expect(accept).to_be_visible()

    accept_looks, reject_looks = accept.evaluate(LOOKS), reject.evaluate(LOOKS)

    # Flex layout rounds to 1/64 px: the same size, give or take a rounding.
    for key in ("width", "height"):
        assert accept_looks.pop(key) == pytest.approx(reject_looks[key], abs=0.05)
        assert reject_looks.pop(key) >= {"width": 100, "height": 44}[key]
    assert accept_looks == reject_looks
    # Side by side where there is room, else one right under the other: never one
    # of them further down, behind a scroll.
    a, r = accept.bounding_box(), reject.bounding_box()
    if viewport["width"] >= 640:
        assert a["y"] == r["y"]
    assert abs(a["y"] - r["y"]) <= a["height"] + 16
    in_view = [el.evaluate(IN_VIEW) for el in (reject, accept)]
    if surface == "banner":
        assert in_view == [True, True], "both choices show without scrolling"
    else:
        # Under the list of purposes in a small dialog: both, or neither.
        assert in_view[0] == in_view[1]


IN_VIEW = """(e) => { const r = e.getBoundingClientRect();
  return r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth; }"""


def test_banner_is_fixed_and_the_page_stays_usable(ui: ConsentPage, consent_server: LiveServer):
    ui.page.goto(consent_server.url + "/")
    ui.wait_for("window.consentUI")
    banner = ui.banner()
    assert banner.evaluate("e => getComputedStyle(e).position") == "fixed"
    box = banner.bounding_box()
    viewport = ui.page.viewport_size
    assert box["y"] + box["height"] == viewport["height"]
    assert box["width"] == viewport["width"]
    assert box["height"] < viewport["height"] / 2
    # No modal, no backdrop: the page under the banner answers the visitor.
    ad = ui.page.locator(".ad-card a").first
    href = ad.get_attribute("href")
    ad.click()
    ui.page.wait_for_url(consent_server.url + href)
    expect(ui.banner()).to_be_visible()
    # The search form works too.
    ui.page.locator("a.brand").click()
    ui.page.locator("#q").fill("toyota")
    ui.page.locator("#q").press("Enter")
    ui.page.wait_for_url("**/?q=toyota")
    expect(ui.page.locator(".ad-card")).to_have_count(1)


#: Where the page's own content sits (top-left corners and sizes).
LAYOUT = """() => ['header', 'h1', 'main', 'footer', '[data-consent-open]'].map((s) => {
  const r = document.querySelector(s).getBoundingClientRect();
  return [s, r.x, r.y + scrollY, r.width, r.height];
})"""

#: Every layout shift since the page started loading (buffered), summed.
SHIFTS = """() => new Promise((done) => {
  const values = [];
  new PerformanceObserver((list) => values.push(...list.getEntries().map((e) => e.value)))
    .observe({type: 'layout-shift', buffered: true});
  requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => done(values))));
})"""


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_banner_shows_at_first_paint_and_moves_nothing(
    new_ui, consent_server: LiveServer, viewport: dict
):
    """Method: hold consent.js back, so the page is painted with the server's banner
    and no script; measure where the content is; let the snippet run; measure again.
    Chromium's own layout-shift entries (buffered, so none is missed) must sum to 0."""
    ui = new_ui(viewport=viewport)
    held = []
    ui.page.route("**/consent.js*", lambda route: held.append(route))
    ui.page.goto(consent_server.url + "/", wait_until="commit")

    # Visible at first paint: the banner needs no script, only the server's stylesheet.
    expect(ui.banner()).to_be_visible()
    expect(ui.action("accept-all")).to_be_visible()
    assert ui.banner().evaluate("e => getComputedStyle(e).position") == "fixed"
    expect(ui.page.locator("footer [data-consent-open]")).to_be_attached()
    before = ui.page.evaluate(LAYOUT)
    assert ui.page.evaluate("typeof window.consentUI") == "undefined"

    held[0].continue_()
    ui.wait_for("window.consentUI")
    ui.wait_for("document.documentElement.style.getPropertyValue('--cu-h')")

    assert ui.page.evaluate(LAYOUT) == before
    assert ui.page.evaluate(SHIFTS) == []
    expect(ui.banner()).to_be_visible()


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_focus_is_not_hidden_by_the_banner(new_ui, consent_server: LiveServer, viewport: dict):
    ui = new_ui(viewport=viewport)
    ui.page.goto(consent_server.url + "/")
    ui.wait_for("window.consentUI")
    ui.wait_for("document.documentElement.style.getPropertyValue('--cu-h')")

    link = ui.page.locator("footer [data-consent-open]")
    for _ in range(60):
        ui.page.keyboard.press("Tab")
        if link.evaluate("e => e == document.activeElement"):
            break
    else:
        raise AssertionError("Tab never reached the Cookie management link")

    expect(ui.banner()).to_be_visible()
    banner, focused = ui.banner().bounding_box(), link.bounding_box()
    assert focused["y"] >= 0
    assert focused["y"] + focused["height"] <= banner["y"], (focused, banner)
    # What is on top at the link's centre is the link itself.
    centre = (focused["x"] + focused["width"] / 2, focused["y"] + focused["height"] / 2)
    assert ui.page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y) == document.activeElement", centre
    )
