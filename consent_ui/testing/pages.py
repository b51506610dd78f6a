"""Page objects for the consent UI, after Playwright's page object model guide.

Locators come only from the public selectors (DESIGN.md, "HTML selectors"), so they
work on the service's own pages and on any page that embeds the snippet, whoever
renders the banner, in any Playwright browser. One method per user action; a method
waits for what the action visibly does (the banner goes, the dialog opens) and asserts
nothing: the test does.
"""

from __future__ import annotations

from typing import Any

BANNER = "[data-consent-banner]"
PREFERENCES = "[data-consent-preferences]"
OPEN = "[data-consent-open]"
CONSENT_ID = "[data-consent-id]"


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
        # Once the banner is gone, the choice is saved and applied (or, without
        # JavaScript, the form has posted and the page come back without it).
        self.root.locator(action(name)).click()
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
        self.root.locator(action(name)).click()
        self.root.wait_for(state="hidden")
