"""Page objects for the consent UI, after Playwright's page object model guide.

Locators come only from the public selectors (DESIGN.md, "HTML selectors"), so they
work on the service's own pages and on any page that embeds the snippet, whoever
renders the banner, in any Playwright browser. One method per user action; a method
waits for what the action visibly does (the banner goes, the dialog opens) and asserts
nothing: the test does. A choice that withdraws a category whose script already ran
makes the snippet reload the page (a script cannot be un-run): the choice returns once
the reloaded page has loaded, so the next step never races the reload.
"""

from __future__ import annotations

from typing import Any

from ..observe import poll

BANNER = "[data-consent-banner]"
PREFERENCES = "[data-consent-preferences]"
OPEN = "[data-consent-open]"
CONSENT_ID = "[data-consent-id]"


#: Before a click: watch for the snippet's ``consentui:change`` and tell whether it will
#: reload the page, by the snippet's rule: a withdrawn category one of whose gated
#: scripts has run (been activated, or queued to be; ``cuQueued`` is the snippet's mark).
WATCH = """() => {
  window.__consentUiChoice = 'waiting';
  const before = window.consentUI && window.consentUI.get();
  document.addEventListener('consentui:change', (e) => {
    const now = (e.detail && e.detail.categories) || [];
    const lost = ((before && before.categories) || []).filter((k) => !now.includes(k));
    const ran = [...document.querySelectorAll('script[data-consent]')]
      .filter((s) => s.type != 'text/plain' || s.cuQueued)
      .some((s) => s.dataset.consent.split(' ').some((k) => lost.includes(k)));
    window.__consentUiChoice = ran ? 'reloading' : 'settled';
  }, { once: true });
}"""
#: After it: 'settled' on the same page; absent once a new document replaced it.
CHOICE = "() => window.__consentUiChoice || null"


def choose(page: Any, button: Any) -> None:
    """Click a choice's ``button`` and return once the choice is applied: on the same
    page, or on the page that came back (the no-JS form's answer, the snippet's reload)."""
    page.evaluate(WATCH)
    button.click()
    came, state = poll(page, CHOICE, lambda v: v in ("settled", None), 30)
    if not came:
        said = "the page began to reload" if state == "reloading" else "no choice was applied"
        raise TimeoutError(f"a choice was clicked, but in 30 s {said} and no page came back")
    if state is None:
        page.wait_for_load_state("load")


def action(name: str) -> str:
    """The selector of a button: ``accept-all``, ``reject-all``, ``customise``, ``save``,
    ``close`` or ``allow``."""
    return f'[data-consent-action="{name}"]'


def category(key: str) -> str:
    """The selector of the checkbox of one category."""
    return f'input[name="category"][value="{key}"]'


class ConsentBanner:
    """The first layer: Accept all, Reject all, Continue without accepting, Customise."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.root = page.locator(BANNER)

    def is_visible(self) -> bool:
        return self.root.is_visible()

    def accept_all(self) -> None:
        self._choose("accept-all")

    def reject_all(self) -> None:
        self._choose("reject-all")

    def close(self) -> None:
        """ "Continue without accepting": the same as Reject all."""
        self._choose("close")

    def customise(self) -> PreferencesDialog:
        """Open the preferences from the banner."""
        self.root.locator(action("customise")).click()
        dialog = PreferencesDialog(self.page)
        dialog.root.wait_for(state="visible")
        return dialog

    def _choose(self, name: str) -> None:
        choose(self.page, self.root.locator(action(name)))
        self.root.wait_for(state="hidden")


class PreferencesDialog:
    """The preferences dialog: one switch per category, Save, Accept all, Reject all."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.root = page.locator(PREFERENCES)

    def open(self) -> PreferencesDialog:
        """Click the page's "Cookie management" link, as a visitor changing their mind."""
        self.page.locator(OPEN).first.click()
        self.root.wait_for(state="visible")
        return self

    def is_open(self) -> bool:
        return self.root.is_visible()

    def set(self, key: str, on: bool = True) -> None:
        """Switch one category on or off (not saved until ``save``)."""
        self.root.locator(category(key)).set_checked(on)

    def is_on(self, key: str) -> bool:
        return self.root.locator(category(key)).is_checked()

    def save(self) -> None:
        self._choose("save")

    def accept_all(self) -> None:
        self._choose("accept-all")

    def reject_all(self) -> None:
        self._choose("reject-all")

    def consent_id(self) -> str | None:
        """The consent id the dialog shows the visitor, None before any choice."""
        shown = self.root.locator(CONSENT_ID)
        text = shown.text_content() if shown.count() else None
        return text.strip() or None if text else None

    def dismiss(self) -> None:
        """Escape: close without saving."""
        self.page.keyboard.press("Escape")
        self.root.wait_for(state="hidden")

    def _choose(self, name: str) -> None:
        choose(self.page, self.root.locator(action(name)))
        self.root.wait_for(state="hidden")
