"""Consent states and genuine presets: what ``consent``, ``consent_state`` and
``@pytest.mark.consent`` put in a browser context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..observe import evaluate
from ..policy import Policy
from .server import ALL, ConsentServer


@dataclass(frozen=True)
class ConsentState:
    """One state a visitor can be in: ``none`` (no choice yet), ``reject``, ``accept``,
    or one optional category alone; ``categories`` are the optional ones it grants."""

    name: str
    categories: tuple[str, ...]
    #: What the context is preset with: None (nothing), "all", or the keys granted.
    choice: str | tuple[str, ...] | None

    def __str__(self) -> str:
        return f"consent={self.name}"


def consent_states(policy: Policy) -> list[ConsentState]:
    """Every state of ``consent_state``, from the policy: none, reject, accept, then
    each optional category alone."""
    return [
        ConsentState("none", (), None),
        ConsentState("reject", (), ()),
        ConsentState("accept", policy.optional_keys, ALL),
        *(ConsentState(key, (key,), (key,)) for key in policy.optional_keys),
    ]


class ConsentPresets:
    """The ``consent`` fixture: genuine consents for browser contexts."""

    def __init__(self, server: ConsentServer, url: str | None = None) -> None:
        self.server = server
        self.url = url

    def preset(
        self,
        context: Any,
        categories: str | list[str] | tuple[str, ...],
        *,
        url: str | None = None,
    ) -> str:
        """Give ``context`` a consent the server recorded and signed for its current
        revision: ``"all"``, or the optional keys granted (``[]`` = reject all). The
        cookie goes on the server's host and on ``url``'s (default: ``--base-url``).
        Returns the consent id."""
        preset = self.server.choose(categories)
        context.add_cookies(self.server.cookies_for(preset.token, url or self.url))
        return preset.consent_id

    def clear(self, context: Any) -> None:
        """No choice any more: the context's consent cookies are gone."""
        context.clear_cookies(name=self.server.cookie_name)

    def state(self, page: Any) -> Any:
        """``window.consentUI.get()`` on the page: None before a choice."""
        return evaluate(page, "() => window.consentUI ? window.consentUI.get() : null")

    def apply(self, context: Any, choice: str | tuple[str, ...] | list[str] | None) -> None:
        if choice is None:
            self.clear(context)
        else:
            self.preset(context, choice)
