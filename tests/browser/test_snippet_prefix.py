"""The service mounted under a path prefix of the page's own origin (issue 11).

One server answers for http://127.0.0.1:<port>: the example page at ``/`` and the
consent service at ``/consent-ui`` (werkzeug's DispatcherMiddleware sets SCRIPT_NAME,
as a reverse proxy with ``X-Forwarded-Prefix`` does through ProxyFix). The snippet finds
its base from its own ``src``, path included: every request it makes carries the
prefix, the banner works, a choice is recorded and its cookie is first-party.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from consent_ui import create_app
from examples.harness import LiveServer, free_port, serve
from examples.static_site import make_app as example_site
from tests.browser.conftest import SECRET, ConsentPage, store_of

PREFIX = "/consent-ui"
ALL = ("statistics", "personalization", "marketing")
#: What the example page loads of its own (not the consent service's).
PAGE_OWN = {"/", "/example.css", "/example.js", "/favicon.ico"}


@pytest.fixture(scope="module")
def mounted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, LiveServer]]:
    """The page's origin, and the live server with the consent app under PREFIX."""
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    consent = create_app(
        {
            "CONSENT_SECRET_KEY": SECRET,
            "CONSENT_DATABASE": str(tmp_path_factory.mktemp("prefix") / "consent.db"),
        }
    )
    app = DispatcherMiddleware(example_site(origin + PREFIX), {PREFIX: consent})
    live = serve(app, port)
    live.app = consent  # what store_of() reads
    yield origin, live
    live.stop()


def paths(page: Page, origin: str) -> list[str]:
    """Each request of the page to ``origin`` from now on, as "METHOD /path"."""
    seen: list[str] = []
    page.on(
        "request",
        lambda r: (
            r.url.startswith(origin + "/")
            and seen.append(f"{r.method} {r.url[len(origin) :].split('?')[0]}")
        ),
    )
    return seen


def test_every_request_of_the_snippet_carries_the_prefix(mounted, page: Page, ui: ConsentPage):
    origin, live = mounted
    seen = paths(page, origin)
    ui.record_changes()
    page.goto(origin + "/")
    ui.banner().wait_for(state="visible")

    assert [p for p in seen if p.split()[1] not in PAGE_OWN] == [f"GET {PREFIX}/consent.js"]
    assert ui.banner().locator("a").get_attribute("href") == f"{origin}{PREFIX}/cookies"

    ui.decide("accept-all")
    ui.wait_for_runs(*ALL)
    state = ui.state()
    [record] = store_of(live).history(state["id"])
    assert (record["action"], record["surface"], record["page"]) == ("accept_all", "banner", "/")
    # The service's own cookie, on the page's host: first-party, for every path.
    [cookie] = [c for c in page.context.cookies() if c["name"] == "consent"]
    assert (cookie["domain"], cookie["path"]) == ("127.0.0.1", "/")

    ui.open_preferences()
    assert ui.page.locator("[data-consent-id]").inner_text() == state["id"]
    links = ui.dialog().locator("a").evaluate_all("(links) => links.map((a) => a.href)")
    assert links
    assert all(link.startswith(("https://", f"{origin}{PREFIX}/")) for link in links), links
    page.keyboard.press("Escape")

    page.reload()
    ui.wait_for("sessionStorage['consent-ui:verified']")
    with page.expect_navigation():  # trackers that ran cannot be un-run
        # Not awaited: the reload may come before the promise settles in this page.
        page.evaluate("void consentUI.withdraw()")
    ui.banner().wait_for(state="visible")

    mine = [p for p in seen if p.split()[1] not in PAGE_OWN]
    assert mine
    assert all(p.split()[1].startswith(PREFIX + "/") for p in mine), mine
    for request in (
        f"POST {PREFIX}/api/consent",
        f"GET {PREFIX}/consent/banner",
        f"GET {PREFIX}/consent-preferences.css",
        f"GET {PREFIX}/api/consent",
        f"DELETE {PREFIX}/api/consent",
        f"GET {PREFIX}/static/demo/tracker.js",
    ):
        assert request in mine, (request, mine)
    assert store_of(live).history(state["id"])[-1]["action"] == "withdraw"


def test_the_services_own_pages_under_the_prefix(mounted, page: Page, ui: ConsentPage):
    """Pages the service renders: the banner at first paint, then the snippet (the
    kind for such pages) posts the choice under the prefix."""
    origin, live = mounted
    seen = paths(page, origin)
    page.goto(f"{origin}{PREFIX}/")
    ui.banner().wait_for(state="visible")
    ui.wait_for("window.consentUI")
    links = page.eval_on_selector_all(
        "a[hreflang], input[name=next], form[action]",
        "(all) => all.map((e) => e.getAttribute('href') || e.getAttribute('action') || e.value)",
    )
    assert links
    assert all(link.startswith(PREFIX + "/") for link in links), links

    ui.choose("reject-all")

    assert ui.banner().is_hidden()
    assert f"POST {PREFIX}/api/consent" in seen
    assert all(p.split()[1].startswith(PREFIX + "/") for p in seen if p.split()[1] not in PAGE_OWN)
    assert f"GET {PREFIX}/consent.js" in seen
    [record] = store_of(live).history(ui.state()["id"])
    assert (record["action"], record["page"]) == ("reject_all", f"{PREFIX}/")
