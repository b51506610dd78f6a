"""The snippet's flows in Chromium, Firefox and WebKit, with the same assertions in each
(issue 11): nothing runs before a choice; Accept all runs each gated item once, in
document order; Reject all; a returning visit; withdrawal deletes the declared cookies
and storage keys; the dialog with the keyboard (Tab wraps both ways, Escape closes
and gives focus back); the placeholder; the page's language; a strict CSP.

The page (tests/browser/pages/engines.html) is on another site than the consent
server (localhost against 127.0.0.1): the snippet keeps its token in a first-party
cookie and sends it in a header, which is what WebKit's tracking prevention allows.
It notes in ``window.order`` each request the snippet starts and each item that runs.
"""

from __future__ import annotations

from tests.browser.conftest import store_of
from tests.browser.engines.tabs import Tab, wait_for

PAGE = "/t/engines.html"
ALL = ("statistics", "personalization", "marketing")
#: Document order of the page's gated items.
RUN_ALL = ["run statistics", "inline statistics", "run personalization", "run marketing"]
DECLARED_COOKIES = {"_ga", "_ga_EXAMPLE", "_fbp"}
DECLARED_STORAGE = ["recent_searches", "recently_viewed"]

BANNER = "[data-consent-banner]"
DIALOG = "[data-consent-preferences]"
VISIBLE = "((e) => !!e && e.getClientRects().length > 0)"
RUNS = "window.order.filter((o) => !o.includes('/'))"
STORAGE = "Object.keys(localStorage).sort()"
#: Where keyboard focus is, in terms a test can compare.
FOCUSED = """(() => {
  const e = document.activeElement;
  return [e.closest('[data-consent-preferences]') ? 'dialog' : 'page',
    e.dataset.consentAction || (e.matches('[data-consent-dismiss]') ? 'dismiss' : '')
      || (e.name == 'category' ? e.value : '') || e.tagName.toLowerCase()];
})()"""


def visible(tab: Tab, selector: str) -> bool:
    return tab.js(f"{VISIBLE}(document.querySelector('{selector}'))")


def action(name: str, within: str = BANNER) -> str:
    return f'{within} [data-consent-action="{name}"]'


def open_page(tab: Tab, site, path: str = PAGE) -> None:
    tab.goto(site.cross_site + path)
    wait_for(tab, f"window.consentUI && {VISIBLE}(document.querySelector('{BANNER}'))")


def consent_requests(tab: Tab, consent_server) -> list[str]:
    """What the page loaded from the consent server (Resource Timing: every engine)."""
    return tab.js(
        "performance.getEntriesByType('resource').map((e) => e.name)"
        f".filter((n) => n.startsWith('{consent_server.url}/'))"
        f".map((n) => n.slice({len(consent_server.url)}))"
    )


def choose(tab: Tab, name: str, within: str = BANNER) -> dict:
    """Click a choice and wait until the snippet has applied the server's answer."""
    tab.click(action(name, within))
    return wait_for(tab, "window.consentUI.get()")


def test_nothing_runs_before_a_choice(tab: Tab, site, consent_server) -> None:
    open_page(tab, site)

    assert consent_requests(tab, consent_server) == ["/consent.js"]
    assert tab.js("document.querySelector('[data-consent-ui]').lang") == "en"
    assert tab.js(f"document.querySelector('{BANNER} h2').textContent") == (
        "Cookies and your privacy"
    )
    assert tab.js(f"getComputedStyle(document.querySelector('{BANNER}')).position") == "fixed"
    assert tab.js("window.order") == []
    assert tab.js("document.querySelectorAll('script[type=\"text/plain\"]').length") == 4
    assert tab.js("window.consentUI.get()") is None
    assert "consent" not in tab.cookies()
    assert tab.js("document.querySelector('iframe').getAttribute('src')") is None
    assert tab.js("document.querySelector('[data-consent-placeholder] p').textContent") == (
        "This content from PartnerTube is blocked because it uses marketing cookies."
    )


def test_accept_all_runs_each_gated_item_once_in_order(tab: Tab, site, consent_server) -> None:
    open_page(tab, site)

    state = choose(tab, "accept-all")
    wait_for(tab, f"{RUNS}.length == {len(RUN_ALL)}")
    wait_for(tab, "window.framed")

    assert tab.js(RUNS) == RUN_ALL
    assert tab.js("window.order.filter((o) => o.includes('/'))") == ["POST /api/consent"]
    assert state["categories"] == ["essential", *ALL]
    assert not visible(tab, BANNER)
    assert tab.js("document.querySelector('[data-consent-placeholder]')") is None
    assert tab.js("document.querySelector('iframe').getAttribute('src')") == (
        consent_server.url + "/demo/partner-video"
    )
    assert tab.cookies()["consent"]  # first-party, on the page's host
    [record] = store_of(consent_server).history(state["id"])
    assert (record["action"], record["surface"], record["page"]) == ("accept_all", "banner", PAGE)


def test_reject_all_runs_nothing(tab: Tab, site, consent_server) -> None:
    open_page(tab, site)

    state = choose(tab, "reject-all")

    assert state["categories"] == ["essential"]
    assert not visible(tab, BANNER)
    assert tab.js("window.order") == ["POST /api/consent"]
    assert visible(tab, "[data-consent-placeholder]")
    assert not DECLARED_COOKIES & set(tab.cookies())
    [record] = store_of(consent_server).history(state["id"])
    assert (record["action"], record["categories"]) == ("reject_all", ["essential"])


def test_a_returning_visit_runs_first_and_asks_after(tab: Tab, site, consent_server) -> None:
    open_page(tab, site)
    choose(tab, "accept-all")
    wait_for(tab, f"{RUNS}.length == {len(RUN_ALL)}")

    tab.goto(site.cross_site + PAGE)
    wait_for(tab, "sessionStorage['consent-ui:verified']")

    # Everything granted ran before the snippet asked the server anything.
    assert tab.js("window.order") == [*RUN_ALL, "GET /api/consent"]
    assert tab.js(f"document.querySelector('{BANNER}')") is None
    assert tab.js("window.consentUI.get().categories") == ["essential", *ALL]
    # Once per browser session: the next page asks nothing.
    tab.goto(site.cross_site + PAGE)
    wait_for(tab, f"{RUNS}.length == {len(RUN_ALL)}")
    assert tab.js("window.order") == RUN_ALL


def test_withdrawal_deletes_the_declared_cookies_and_storage(
    tab: Tab, site, consent_server
) -> None:
    open_page(tab, site)
    state = choose(tab, "accept-all")
    wait_for(tab, f"{RUNS}.length == {len(RUN_ALL)}")
    assert set(tab.cookies()) >= DECLARED_COOKIES
    assert tab.js(STORAGE) == DECLARED_STORAGE
    tab.js("document.cookie = 'cart=3; path=/', localStorage.setItem('cart', '3')")
    tab.js("window.sameDocument = true")

    # Scripts that ran cannot be un-run: the page reloads.
    tab.js("void window.consentUI.withdraw()")
    wait_for(tab, f"!window.sameDocument && {VISIBLE}(document.querySelector('{BANNER}'))")

    assert set(tab.cookies()) == {"cart"}
    assert tab.js(STORAGE) == ["cart"]
    assert tab.js("window.order") == []
    assert tab.js("window.consentUI.get()") is None
    assert store_of(consent_server).history(state["id"])[-1]["action"] == "withdraw"


def test_the_dialog_with_the_keyboard(tab: Tab, site, consent_server) -> None:
    open_page(tab, site)
    records = store_of(consent_server).count()
    # The "Cookie management" link, followed with the keyboard.
    tab.js("document.querySelector('[data-consent-open]').focus()")
    tab.press("Enter")
    wait_for(tab, f"document.querySelector('{DIALOG}')?.open")
    wait_for(tab, "document.activeElement.closest('[data-consent-preferences]')")

    # Tab goes round inside the dialog, from its last control back to its first.
    first = tab.js(FOCUSED)
    stops = [first]
    for _ in range(30):
        tab.press("Tab")
        stops.append(tab.js(FOCUSED))
        if stops[-1] == first:
            break
    assert stops[-1] == first, f"Tab never came back round: {stops}"
    assert {where for where, _ in stops} == {"dialog"}, stops
    controls = [what for _, what in stops[:-1]]
    assert controls[0] == "dismiss"
    assert controls[-3:] == ["reject-all", "accept-all", "save"]
    assert [c for c in controls if c in ALL] == list(ALL)
    # Shift+Tab from the first control goes to the last.
    tab.press("Shift+Tab")
    assert tab.js(FOCUSED) == ["dialog", "save"]

    # Space toggles a switch; Escape closes without saving and gives focus back.
    while tab.js(FOCUSED)[1] != "statistics":
        tab.press("Tab")
    tab.press("Space")
    assert tab.js("document.activeElement.checked") is True
    tab.press("Escape")
    wait_for(tab, f"!document.querySelector('{DIALOG}').open")
    assert tab.js("document.activeElement.matches('[data-consent-open]')") is True
    assert visible(tab, BANNER)
    assert store_of(consent_server).count() == records
    assert "consent" not in tab.cookies()
    # The unsaved switch is not kept.
    tab.press("Enter")
    wait_for(tab, f"document.querySelector('{DIALOG}')?.open")
    assert tab.js("document.querySelector('input[value=statistics]').checked") is False


def test_the_placeholder_allows_its_category_in_place(tab: Tab, site, consent_server) -> None:
    open_page(tab, site)

    state = choose(tab, "allow", "[data-consent-placeholder]")
    wait_for(tab, "window.framed")

    assert state["categories"] == ["essential", "marketing"]
    assert tab.js(RUNS) == ["run marketing"]
    assert tab.js("document.querySelector('[data-consent-placeholder]')") is None
    assert tab.js("document.querySelector('iframe').hidden") is False
    assert visible(tab, "iframe")
    [record] = store_of(consent_server).history(state["id"])
    assert (record["surface"], record["categories"]) == ("placeholder", ["essential", "marketing"])


def test_a_french_page_gets_the_french_banner(tab: Tab, site, consent_server) -> None:
    open_page(tab, site, "/t/snippet-fr.html")

    assert tab.js("document.querySelector('[data-consent-ui]').lang") == "fr"
    assert tab.js(f"document.querySelector('{BANNER} h2').textContent") == (
        "Les cookies et votre vie privée"
    )
    state = choose(tab, "reject-all")
    [record] = store_of(consent_server).history(state["id"])
    assert (record["lang"], record["surface"]) == ("fr", "banner")


def test_a_strict_content_security_policy_blocks_nothing_of_the_ui(tab: Tab, site) -> None:
    """The banner's stylesheet is a constructed one: allowed by ``style-src`` without
    'unsafe-inline' in every engine, as is the placeholder's box."""
    open_page(tab, site, "/t/csp.html")
    assert tab.js(f"getComputedStyle(document.querySelector('{BANNER}')).position") == "fixed"
    assert visible(tab, "[data-consent-placeholder]")
    tab.click("[data-consent-open]")
    wait_for(tab, f"document.querySelector('{DIALOG}')?.open")

    assert tab.js("window.violations") == []
