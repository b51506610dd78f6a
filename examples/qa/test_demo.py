"""The demo site's consent, tested the way a QA team tests its own site: through the
real banner and preferences (page objects), with genuine presets (the marker and
``consent_state``), and ``trackers`` saying what ran under which consent."""

from __future__ import annotations

import re

import pytest

from consent_ui.testing import ConsentBanner, PreferencesDialog

OPTIONAL = ("statistics", "personalization", "marketing")


def test_first_visit_shows_the_banner_and_runs_nothing_optional(page, site_url, consent, trackers):
    page.goto(site_url)
    assert ConsentBanner(page).is_visible()
    assert consent.state(page) is None
    trackers.assert_only("essential")


def test_reject_all_is_kept_on_the_next_page(page, site_url, consent, consent_server, trackers):
    page.goto(site_url)
    ConsentBanner(page).reject_all()
    state = consent.state(page)
    assert state["categories"] == ["essential"]
    page.goto(site_url + "cookies")
    assert not ConsentBanner(page).is_visible()
    trackers.assert_only("essential")
    [record] = consent_server.records(state["id"])
    assert (record["action"], record["surface"], record["agent"]) == ("reject_all", "banner", "qa")


def test_accept_all_runs_every_tracker(page, site_url, consent, trackers):
    page.goto(site_url)
    ConsentBanner(page).accept_all()
    assert consent.state(page)["categories"] == ["essential", *OPTIONAL]
    trackers.assert_only("essential", *OPTIONAL)
    assert {t.name for t in trackers.of("statistics")} == {"_ga", "_ga_DEMO"}
    assert {t.name for t in trackers.of("marketing")} == {"_fbp"}
    assert {t.name for t in trackers.of("personalization")} == {
        "recent_searches",
        "recently_viewed",
    }


def test_each_state_runs_exactly_its_trackers(page, site_url, consent_state, trackers):
    page.goto(site_url)
    trackers.assert_only("essential", *consent_state.categories)
    for key in consent_state.categories:
        assert trackers.of(key), f"the demo's {key} tracker did not run"
    assert ConsentBanner(page).is_visible() == (consent_state.name == "none")


@pytest.mark.parametrize("key", OPTIONAL)
def test_one_category_chosen_in_the_preferences(page, site_url, consent, trackers, key):
    page.goto(site_url)
    dialog = ConsentBanner(page).customise()
    dialog.set(key, True)
    dialog.save()
    assert consent.state(page)["categories"] == ["essential", key]
    trackers.assert_only("essential", key)


@pytest.mark.consent("all")
def test_withdrawal_deletes_what_the_trackers_stored(
    page, site_url, consent, consent_server, trackers
):
    page.goto(site_url)
    assert trackers.of("statistics")
    consent_id = consent.state(page)["id"]
    dialog = PreferencesDialog(page).open()
    assert dialog.consent_id() == consent_id
    dialog.reject_all()  # returns on the reloaded page: scripts that ran cannot be un-run
    trackers.assert_only("essential")
    actions = [r["action"] for r in consent_server.records(consent_id)]
    assert actions == ["accept_all", "reject_all"]


@pytest.mark.browser_context_args(locale="fr-FR")
def test_the_french_banner(page, site_url, consent):
    page.goto(site_url)
    banner = ConsentBanner(page)
    assert page.locator("html").get_attribute("lang") == "fr"
    assert "Tout refuser" in banner.root.inner_text()
    banner.reject_all()
    assert consent.state(page)["categories"] == ["essential"]


def test_the_leaky_page_is_caught(page, leaky_url, trackers):
    page.goto(leaky_url)
    with pytest.raises(AssertionError) as caught:
        trackers.assert_only("essential")
    site = r"http://127\.0\.0\.1:\d+"
    assert re.fullmatch(
        rf"3 trackers outside essential on {site}/leaky\.html:\n"
        rf"  - cookie “_ga” on 127\.0\.0\.1: statistics \(Google Analytics\), "
        rf"set by the script {site}/analytics\.js\n"
        rf"  - cookie “ab_test” on 127\.0\.0\.1: undeclared, "
        rf"set by the script {site}/analytics\.js\n"
        rf"  - localStorage key “visitor_profile” on 127\.0\.0\.1: undeclared, "
        rf"set by an inline script of {site}/leaky\.html",
        str(caught.value),
    )


@pytest.mark.consent
def test_the_leak_survives_reject_all(page, leaky_url, trackers):
    page.goto(leaky_url)
    assert {t.name for t in trackers.of("statistics")} == {"_ga"}
