"""The whole consent flow with the keyboard alone: no mouse click anywhere."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from consent_ui.extension import ConsentUI
from consent_ui.policy import load_policy
from examples.harness import LiveServer
from tests.browser.conftest import ConsentPage, store_of

POLICY = load_policy()
OPTIONAL = [c.key for c in POLICY.categories if not c.required]
REQUIRED = [c.key for c in POLICY.categories if c.required]

#: What has keyboard focus, in terms a test can compare.
FOCUSED = """() => {
  const e = document.activeElement;
  return {
    where: e.closest('[data-consent-preferences]') ? 'dialog'
      : e.closest('[data-consent-banner]') ? 'banner' : e == document.body ? 'body' : 'page',
    action: e.dataset.consentAction || (e.matches('[data-consent-dismiss]') ? 'dismiss' : null),
    category: e.name == 'category' ? e.value : null,
    open: e.matches('[data-consent-open]'),
    tag: e.tagName.toLowerCase(),
    text: (e.textContent || '').trim().slice(0, 40),
  };
}"""


def focused(page: Page) -> dict[str, Any]:
    return page.evaluate(FOCUSED)


def tab_until(page: Page, predicate, *, shift: bool = False, limit: int = 60) -> list[dict]:
    """Press Tab (or Shift+Tab) until ``predicate(focused)``; returns every stop."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if shift else "Tab")
        stops.append(focused(page))
        if predicate(stops[-1]):
            return stops
    raise AssertionError(f"never reached the target; focus went through {stops}")


def log_of(live: LiveServer, page: Page) -> list[dict]:
    cookies = [c for c in page.context.cookies(live.url) if c["name"] == "consent"]
    if not cookies:
        return []
    state = ConsentUI.state(live.app)
    consent = state.signer.verify(cookies[0]["value"], state.policy)
    return store_of(live).history(consent.id)


def test_keyboard_only_flow(ui: ConsentPage, consent_server: LiveServer):
    page = ui.page
    page.goto(consent_server.url + "/")
    ui.wait_for("window.consentUI")
    store = store_of(consent_server)
    records_before = store.count()

    # The banner comes first in the tab order, Reject all before Accept all.
    stops = [s for s in tab_until(page, lambda f: f["action"] == "customise")]
    assert [(s["where"], s["action"] or s["tag"]) for s in stops] == [
        ("banner", "close"),
        ("banner", "a"),
        ("banner", "reject-all"),
        ("banner", "accept-all"),
        ("banner", "customise"),
    ]

    # Enter on Customise opens the dialog, with focus inside.
    page.keyboard.press("Enter")
    expect(ui.dialog()).to_be_visible()
    ui.wait_for("document.activeElement.closest('[data-consent-preferences]')")
    first = focused(page)
    assert first["where"] == "dialog"

    # Tab cycles inside the dialog: through every control, from the last back to the first.
    cycle = [first]
    for _ in range(40):
        page.keyboard.press("Tab")
        now = focused(page)
        assert now["where"] == "dialog", f"focus left the dialog for {now}"
        if now == first:
            break
        cycle.append(now)
    else:
        raise AssertionError(f"Tab never came back to the first control: {cycle}")
    assert cycle[0]["action"] == "dismiss"
    assert [s["action"] for s in cycle[-3:]] == ["reject-all", "accept-all", "save"]
    assert [s["category"] for s in cycle if s["category"]] == OPTIONAL
    # Shift+Tab goes the other way round, also without leaving the dialog.
    backwards = [focused(page)]
    for _ in range(len(cycle)):
        page.keyboard.press("Shift+Tab")
        backwards.append(focused(page))
    assert all(s["where"] == "dialog" for s in backwards), backwards
    assert backwards == [cycle[0], *reversed(cycle)]

    # Space toggles a switch; Escape closes without saving and focus goes back.
    tab_until(page, lambda f: f["category"] == "statistics")
    page.keyboard.press("Space")
    expect(ui.checkbox("statistics")).to_be_checked()
    page.keyboard.press("Escape")
    expect(ui.dialog()).to_be_hidden()
    assert focused(page)["action"] == "customise"
    expect(ui.banner()).to_be_visible()
    assert store.count() == records_before
    assert "consent" not in ui.cookie_names()
    assert ui.runs() == {}

    # Reopen: the unsaved toggle is gone; toggle, save, all with the keyboard.
    page.keyboard.press("Enter")
    expect(ui.dialog()).to_be_visible()
    expect(ui.checkbox("statistics")).not_to_be_checked()
    tab_until(page, lambda f: f["category"] == "personalization")
    page.keyboard.press("Space")
    expect(ui.checkbox("personalization")).to_be_checked()
    tab_until(page, lambda f: f["action"] == "save")
    with page.expect_response(lambda r: r.url.endswith("/api/consent")):
        page.keyboard.press("Enter")
    ui.wait_for("window.demoTrackerRuns && window.demoTrackerRuns.personalization == 1")
    expect(ui.dialog()).to_have_count(0)
    expect(ui.banner()).to_be_hidden()
    [record] = log_of(consent_server, page)
    assert (record["action"], record["surface"]) == ("custom", "preferences")
    assert record["categories"] == [*REQUIRED, "personalization"]
    # Focus is not lost in a hidden banner.
    assert focused(page)["where"] in ("body", "page")

    # The footer's Cookie management link, reached and followed with the keyboard.
    tab_until(page, lambda f: f["open"])
    page.keyboard.press("Enter")
    expect(ui.dialog()).to_be_visible()
    ui.wait_for("document.activeElement.closest('[data-consent-preferences]')")
    expect(ui.checkbox("personalization")).to_be_checked()
    expect(ui.dialog().locator("[data-consent-id]")).to_be_visible()
    page.keyboard.press("Escape")
    expect(ui.dialog()).to_be_hidden()
    assert focused(page)["open"]
    assert len(log_of(consent_server, page)) == 1


def test_keyboard_choice_from_the_banner(ui: ConsentPage, consent_server: LiveServer):
    page = ui.page
    page.goto(consent_server.url + "/ads/maths-tutor")
    ui.wait_for("window.consentUI")

    tab_until(page, lambda f: f["action"] == "reject-all")
    with page.expect_response(lambda r: r.url.endswith("/api/consent")):
        page.keyboard.press("Enter")

    expect(ui.banner()).to_be_hidden()
    [record] = log_of(consent_server, page)
    assert (record["action"], record["surface"]) == ("reject_all", "banner")
    assert ui.runs() == {}


def test_footer_link_opens_the_dialog_before_any_choice(
    ui: ConsentPage, consent_server: LiveServer
):
    page = ui.page
    page.goto(consent_server.url + "/privacy")
    ui.wait_for("window.consentUI")

    # From the end of the page, backwards.
    tab_until(page, lambda f: f["open"], shift=True, limit=10)
    page.keyboard.press("Enter")

    expect(ui.dialog()).to_be_visible()
    ui.wait_for("document.activeElement.closest('[data-consent-preferences]')")
    assert page.url == consent_server.url + "/privacy"
    page.keyboard.press("Escape")
    expect(ui.dialog()).to_be_hidden()
    assert focused(page)["open"]
    expect(ui.banner()).to_be_visible()
