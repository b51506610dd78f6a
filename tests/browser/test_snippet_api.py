"""The snippet's JS API and its event on a page the consent server does not render
(issue 4): window.consentUI.get/has/acceptAll/rejectAll/set/withdraw/show/
showPreferences and ``consentui:change`` on document."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tests.browser.conftest import store_of

PAGE = "/t/snippet-api.html"
DIALOG = "[data-consent-preferences]"


def as_event(state: dict) -> dict:
    """A state as the JSON copy of an event's detail holds it."""
    issued = state["issuedAt"].astimezone(UTC)
    return {**state, "issuedAt": issued.isoformat(timespec="milliseconds").replace("+00:00", "Z")}


def test_get_and_has_before_and_after_a_choice(origin, consent_server, page, ui):
    ui.record_changes()
    page.goto(origin + PAGE)
    ui.banner().wait_for(state="visible")

    assert ui.state() is None
    assert page.evaluate("['essential', 'statistics', 'marketing', 'nope'].map(consentUI.has)") == [
        True,
        False,
        False,
        False,
    ]

    state = page.evaluate("consentUI.acceptAll()")

    assert set(state) == {"id", "categories", "revision", "issuedAt", "gpc"}
    assert str(uuid.UUID(state["id"])) == state["id"]
    assert state["categories"] == ["essential", "statistics", "personalization", "marketing"]
    assert state["revision"] == 1
    assert state["gpc"] is False
    assert abs(datetime.now(UTC) - state["issuedAt"]) < timedelta(seconds=10)
    assert ui.state() == state
    assert page.evaluate("['statistics', 'marketing', 'nope'].map(consentUI.has)") == [
        True,
        True,
        False,
    ]
    assert ui.changes() == [as_event(state)]
    assert ui.banner().is_hidden()
    [record] = store_of(consent_server).history(state["id"])
    assert (record["action"], record["surface"], record["page"]) == ("accept_all", "api", PAGE)


def test_each_call_fires_exactly_one_change_with_the_new_state(origin, consent_server, page, ui):
    ui.record_changes()
    page.goto(origin + PAGE)
    ui.banner().wait_for(state="visible")

    calls = {
        "consentUI.acceptAll()": ["essential", "statistics", "personalization", "marketing"],
        "consentUI.rejectAll()": ["essential"],
        "consentUI.set(['statistics'])": ["essential", "statistics"],
        "consentUI.set(['marketing', 'essential'])": ["essential", "marketing"],
    }
    states = []
    for call, categories in calls.items():
        state = page.evaluate(call)
        assert state["categories"] == categories, call
        states.append(state)
        assert ui.changes() == [as_event(s) for s in states], call

    assert len({s["id"] for s in states}) == 1
    records = store_of(consent_server).history(states[0]["id"])
    assert [(r["action"], r["surface"]) for r in records] == [
        ("accept_all", "api"),
        ("reject_all", "api"),
        ("custom", "api"),
        ("custom", "api"),
    ]


def test_a_refused_call_rejects_and_changes_nothing(site, consent_server, page, ui):
    ui.record_changes()
    page.goto(site.cross_site + PAGE)
    ui.banner().wait_for(state="visible")
    before = page.evaluate("consentUI.set(['statistics'])")

    outcome = page.evaluate(
        "consentUI.set(['newsletter']).then(() => 'saved', (e) => e instanceof Error && e.message)"
    )

    assert "400" in outcome
    assert ui.state() == before
    assert len(ui.changes()) == 1
    assert store_of(consent_server).count(before["id"]) == 1


def test_withdraw_resolves_with_null_and_brings_the_banner_back(origin, consent_server, page, ui):
    ui.record_changes()
    page.goto(origin + PAGE)
    ui.banner().wait_for(state="visible")
    state = page.evaluate("consentUI.set(['statistics'])")

    assert page.evaluate("consentUI.withdraw()") is None

    assert ui.banner().is_visible()
    assert ui.state() is None
    assert ui.changes() == [as_event(state), None]
    assert "consent" not in ui.cookie_names()
    record = store_of(consent_server).history(state["id"])[-1]
    assert (record["action"], record["surface"], record["page"]) == ("withdraw", "api", PAGE)


def test_show_brings_the_banner_back_to_a_returning_visitor(origin, consent_server, page, ui):
    ui.preset_consent(consent_server, ["statistics"], origin)
    ui.record_changes()
    requests = ui.requests_to(consent_server.url)
    page.goto(origin + PAGE)
    ui.wait_for("window.consentUI && window.consentUI.get()")
    assert page.locator("[data-consent-banner]").count() == 0

    page.evaluate("consentUI.show()")

    assert ui.banner().is_visible()
    # Built from what consent.js carries: no request for it (the one to the API is
    # the background check of the returning visitor's token).
    assert [r for r in requests if "/api/" not in r] == ["GET /consent.js"]
    ui.decide("reject-all")
    assert ui.state()["categories"] == ["essential"]
    assert ui.banner().is_hidden()


def test_show_preferences_shows_the_current_choice(origin, page, ui):
    ui.record_changes()
    page.goto(origin + PAGE)
    ui.banner().wait_for(state="visible")
    state = page.evaluate("consentUI.set(['statistics', 'marketing'])")

    page.evaluate("consentUI.showPreferences()")

    assert ui.dialog().is_visible()
    assert ui.dialog().evaluate("(d) => d.open")
    checked = {
        key: (ui.checkbox(key).is_checked(), ui.checkbox(key).is_disabled())
        for key in ("essential", "statistics", "personalization", "marketing")
    }
    assert checked == {
        "essential": (True, True),
        "statistics": (True, False),
        "personalization": (False, False),
        "marketing": (True, False),
    }
    assert page.locator("[data-consent-id]").inner_text() == state["id"]

    # A choice made in the dialog shows the next time it opens.
    ui.checkbox("marketing").uncheck()
    ui.decide("save", DIALOG)
    assert ui.state()["categories"] == ["essential", "statistics"]
    page.evaluate("consentUI.showPreferences()")
    assert ui.checkbox("statistics").is_checked()
    assert not ui.checkbox("marketing").is_checked()


def test_the_cookie_management_link_opens_the_preferences(site, page, ui):
    page.goto(site.cross_site + "/")
    ui.banner().wait_for(state="visible")

    ui.open_preferences()

    assert page.url == site.cross_site + "/"
    assert [ui.checkbox(k).is_checked() for k in ("essential", "statistics", "marketing")] == [
        True,
        False,
        False,
    ]
    assert page.locator("[data-consent-id]").is_hidden()
