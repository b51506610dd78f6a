"""The three tests of docs/qa.md's quick start, exactly as a newcomer writes them."""

import pytest

from consent_ui.testing import ConsentBanner


def test_first_visit_can_refuse(page, site_url):
    page.goto(site_url)
    ConsentBanner(page).reject_all()


@pytest.mark.consent("statistics")
def test_analytics_with_statistics(page, site_url, trackers):
    page.goto(site_url)
    trackers.assert_only("essential", "statistics")


def test_every_state(page, site_url, consent_state, trackers):
    page.goto(site_url)
    trackers.assert_only("essential", *consent_state.categories)
