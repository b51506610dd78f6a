"""Withdrawing or narrowing a consent on pages the consent server does not render
(issue 4): the declared cookies and storage keys of the lost categories go, nothing
else does, and the page reloads only when a script of a lost category had run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from examples.harness import CHROMIUM_ARGS, chromium_executable, free_port, serve
from examples.static_site import make_app as example_site
from tests.browser.conftest import ConsentPage, store_of

ALL = ("statistics", "personalization", "marketing")
DECLARED_COOKIES = {"_ga", "_ga_EXAMPLE", "_fbp"}
DECLARED_STORAGE = ["recent_searches", "recently_viewed"]
STORAGE = "Object.keys(localStorage).sort()"


def test_withdrawal_deletes_what_the_trackers_left(origin, consent_server, page, ui):
    ui.record_changes()
    page.goto(origin + "/")
    ui.banner().wait_for(state="visible")
    ui.decide("accept-all")
    ui.wait_for_runs(*ALL)
    consent_id = ui.state()["id"]
    # What the trackers left, and what the page keeps of its own.
    assert ui.cookie_names() >= DECLARED_COOKIES
    assert page.evaluate(STORAGE) == DECLARED_STORAGE
    page.evaluate(
        "document.cookie = 'cart=3; path=/';"
        "localStorage.setItem('cart', '3');"
        "sessionStorage.setItem('recent_searches', '[]');"
    )
    requests = ui.requests_to(consent_server.url)

    with page.expect_navigation():  # scripts that ran cannot be un-run
        page.locator("#withdraw").click()
    ui.banner().wait_for(state="visible")

    assert ui.runs() == {}
    assert ui.state() is None
    assert ui.cookie_names() == {"cart"}
    assert page.evaluate(STORAGE) == ["cart"]
    assert page.evaluate("sessionStorage.getItem('recent_searches')") is None
    assert requests.count("DELETE /api/consent") == 1
    record = store_of(consent_server).history(consent_id)[-1]
    assert (record["action"], record["surface"], record["page"]) == ("withdraw", "api", "/")
    assert record["categories"] == ["essential"]

    # The withdrawal ended that consent id: the next choice starts a new one.
    ui.record_changes()
    page.reload()
    ui.banner().wait_for(state="visible")
    ui.decide("reject-all")
    assert ui.state()["id"] != consent_id


def test_narrowing_reloads_only_when_a_lost_script_had_run(origin, consent_server, page, ui):
    ui.record_changes()
    page.goto(origin + "/t/snippet-narrow.html")
    ui.banner().wait_for(state="visible")
    first = page.evaluate("consentUI.set(['statistics', 'marketing'])")
    ui.wait_for_runs("statistics")
    # No marketing script on this page; its cookie came from elsewhere.
    page.evaluate("document.cookie = '_fbp=x; path=/'; document.cookie = 'cart=3; path=/'")
    page.evaluate("window.sameDocument = true")

    narrowed = page.evaluate("consentUI.set(['statistics'])")

    assert narrowed["categories"] == ["essential", "statistics"]
    assert page.evaluate("window.sameDocument") is True
    assert ui.cookie_names() == {"consent", "_ga", "cart"}
    assert ui.runs() == {"statistics": 1}

    ui.open_preferences()
    ui.checkbox("statistics").uncheck()
    with page.expect_navigation():
        ui.action("save", "[data-consent-preferences]").click()
    ui.wait_for("window.consentUI && window.consentUI.get()")

    assert ui.state()["categories"] == ["essential"]
    assert page.locator("[data-consent-banner]").count() == 0
    assert ui.runs() == {}
    assert ui.cookie_names() == {"consent", "cart"}
    records = store_of(consent_server).history(first["id"])
    assert [(r["surface"], r["categories"]) for r in records] == [
        ("api", ["essential", "statistics", "marketing"]),
        ("api", ["essential", "statistics"]),
        ("preferences", ["essential"]),
    ]


PARENT = "shop.test"


@pytest.fixture
def shop_page(playwright, make_consent_server) -> Iterator[tuple[Page, str]]:
    """The example page at http://www.shop.test:<port>, in a Chromium that resolves
    *.shop.test to 127.0.0.1 (localhost and 127.0.0.1 have no parent domain to test)."""
    port = free_port()
    url = f"http://www.{PARENT}:{port}"
    consent = make_consent_server(CONSENT_ALLOWED_ORIGINS=url)
    site = serve(example_site(consent.url), port)
    browser = playwright.chromium.launch(
        executable_path=chromium_executable(playwright),
        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP *.{PARENT} 127.0.0.1"],
    )
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page, url
    browser.close()
    site.stop()
    assert not errors, f"JavaScript errors on the page: {errors}"


def test_withdrawal_deletes_declared_cookies_on_parent_domains(shop_page):
    page, url = shop_page
    ui = ConsentPage(page)
    page.context.add_cookies(
        [
            {"name": name, "value": "parent", "domain": f".{PARENT}", "path": "/"}
            for name in (*DECLARED_COOKIES, "cart")
        ]
    )
    ui.record_changes()
    page.goto(url + "/")
    ui.banner().wait_for(state="visible")
    ui.decide("accept-all")
    ui.wait_for_runs(*ALL)
    assert {(c["name"], c["domain"]) for c in page.context.cookies()} >= {
        *((name, f"www.{PARENT}") for name in DECLARED_COOKIES),
        *((name, f".{PARENT}") for name in DECLARED_COOKIES),
    }

    with page.expect_navigation():
        page.locator("#withdraw").click()
    ui.banner().wait_for(state="visible")

    assert {(c["name"], c["domain"]) for c in page.context.cookies()} == {("cart", f".{PARENT}")}
