"""Global Privacy Control on pages the consent server does not render (issue 4):
Accept all keeps personalization and marketing off, the banner says so, the log
says so, and a custom choice that names them turns them on."""

from __future__ import annotations

from tests.browser.conftest import store_of

DIALOG = "[data-consent-preferences]"
GPC = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });"


def test_navigator_gpc_keeps_accept_all_to_statistics(origin, consent_server, page, ui):
    page.add_init_script(GPC)
    ui.record_changes()
    requests = ui.requests_to(consent_server.url)
    page.goto(origin + "/")
    ui.banner().wait_for(state="visible")

    # Only the page saw the signal: consent.js carries the banner without the notice,
    # so the snippet asks for the one the server's text hash stands for.
    assert "GET /consent/banner?part=banner&lang=en&gpc=1" in requests
    assert ui.banner().locator("[data-consent-gpc]").is_visible()
    assert "personalisation and marketing" in ui.banner().locator("[data-consent-gpc]").inner_text()

    ui.decide("accept-all")
    ui.wait_for_runs("statistics")

    state = ui.state()
    assert state["categories"] == ["essential", "statistics"]
    assert state["gpc"] is True
    checks = "['statistics', 'personalization', 'marketing'].map(consentUI.has)"
    assert page.evaluate(checks) == [True, False, False]
    assert ui.runs() == {"statistics": 1}
    assert page.locator("iframe[data-consent]").get_attribute("src") is None
    [record] = store_of(consent_server).history(state["id"])
    assert (record["action"], record["gpc"]) == ("accept_all", True)
    assert record["categories"] == ["essential", "statistics"]

    # Named one by one, they are granted all the same.
    ui.open_preferences()
    assert ui.dialog().locator("[data-consent-gpc]").is_visible()
    ui.checkbox("marketing").check()
    ui.decide("save", DIALOG)
    ui.wait_for_runs("statistics", "marketing")

    assert ui.state()["categories"] == ["essential", "statistics", "marketing"]
    assert ui.runs() == {"statistics": 1, "marketing": 1}
    record = store_of(consent_server).history(state["id"])[-1]
    assert (record["action"], record["gpc"]) == ("custom", True)
    assert record["categories"] == ["essential", "statistics", "marketing"]


def test_the_sec_gpc_header_alone_is_honoured_by_the_server(site, consent_server, page, ui):
    page.context.set_extra_http_headers({"Sec-GPC": "1"})
    ui.record_changes()
    requests = ui.requests_to(consent_server.url)
    page.goto(site.cross_site + "/")
    ui.banner().wait_for(state="visible")

    # The page cannot see the signal; the server saw it with the request for
    # consent.js, which then carries the banner that says so (and differs on it).
    assert requests == ["GET /consent.js"]
    assert ui.banner().locator("[data-consent-gpc]").is_visible()
    ui.decide("accept-all")
    ui.wait_for_runs("statistics")

    state = ui.state()
    assert state["categories"] == ["essential", "statistics"]
    assert ui.runs() == {"statistics": 1}
    [record] = store_of(consent_server).history(state["id"])
    assert (record["action"], record["gpc"]) == ("accept_all", True)
