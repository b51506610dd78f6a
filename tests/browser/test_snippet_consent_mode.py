"""Google Consent Mode v2 from the snippet (issue 4): ``default`` before any tag, then
``update`` on every choice and on every page load of a returning visitor, with the
policy's mapping of categories to Consent Mode types."""

from __future__ import annotations

GCM_PAGE = "/t/snippet-gcm.html"
API_PAGE = "/t/snippet-api.html"
#: The design's mapping; essential covers functionality and security, always granted.
MODES = {
    "essential": ("functionality_storage", "security_storage"),
    "statistics": ("analytics_storage",),
    "personalization": ("personalization_storage",),
    "marketing": ("ad_storage", "ad_user_data", "ad_personalization"),
}
DATA_LAYER = "window.dataLayer.map((entry) => Array.from(entry))"


def modes(*granted: str) -> dict[str, str]:
    return {
        mode: "granted" if key in ("essential", *granted) else "denied"
        for key, types in MODES.items()
        for mode in types
    }


DEFAULT = ["consent", "default", {**modes(), "wait_for_update": 500}]


def update(*granted: str) -> list:
    return ["consent", "update", modes(*granted)]


def test_default_comes_before_any_tag_and_update_before_the_tag_runs(origin, page, ui):
    page.goto(origin + GCM_PAGE)
    ui.banner().wait_for(state="visible")
    assert page.evaluate(DATA_LAYER) == [DEFAULT]
    assert page.evaluate("window.seenByTag") is None

    page.evaluate("consentUI.set(['statistics'])")
    ui.wait_for("window.seenByTag")

    assert page.evaluate("window.seenByTag") == [DEFAULT, update("statistics")]
    assert page.evaluate(DATA_LAYER) == [DEFAULT, update("statistics")]
    assert page.evaluate("window.tagRuns") == 1


def test_a_returning_visitor_gets_default_then_update_before_any_tag(
    origin, consent_server, page, ui
):
    ui.preset_consent(consent_server, ["statistics", "marketing"], origin)
    page.goto(origin + GCM_PAGE)
    ui.wait_for("window.seenByTag")

    expected = [DEFAULT, update("statistics", "marketing")]
    assert page.evaluate("window.seenByTag") == expected
    # On every page load.
    page.reload()
    ui.wait_for("window.seenByTag")
    assert page.evaluate("window.seenByTag") == expected
    assert page.evaluate(DATA_LAYER) == expected
    assert page.locator("[data-consent-banner]").count() == 0


CHOICES = {
    "consentUI.set(['statistics'])": ("statistics",),
    "consentUI.set(['personalization'])": ("personalization",),
    "consentUI.set(['marketing'])": ("marketing",),
    "consentUI.acceptAll()": ("statistics", "personalization", "marketing"),
    "consentUI.rejectAll()": (),
}


def test_each_choice_pushes_one_update_with_the_mapping(site, page, ui):
    page.goto(site.cross_site + API_PAGE)
    ui.banner().wait_for(state="visible")

    for call, granted in CHOICES.items():
        page.evaluate(call)
        assert page.evaluate(DATA_LAYER)[-1] == update(*granted), call

    assert page.evaluate(DATA_LAYER) == [DEFAULT, *(update(*g) for g in CHOICES.values())]
