"""Three visits of one page, each in a fresh browser context: ``before`` (no choice, no
interaction), ``rejected`` (Reject all in the real banner) and ``accepted`` (Accept all).

The banner is driven only through the public selectors, so the visits work on any page
that embeds the snippet, whoever renders the banner. After a choice the page is loaded
again, as a returning visitor sees it. Every visit scrolls to the bottom and waits a
while for late trackers: neither is consent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..observe import Observation, Observer, evaluate, host_of, poll

BEFORE, REJECTED, ACCEPTED = STATES = ("before", "rejected", "accepted")
#: The banner button each choice clicks (``data-consent-action``).
ACTIONS = {REJECTED: "reject-all", ACCEPTED: "accept-all"}

#: Whether the page runs consent-ui, and where its snippet comes from.
DETECT = """() => {
  const src = [...document.scripts].map((s) => s.src)
    .find((s) => s && /\\/consent\\.js$/.test(new URL(s).pathname));
  return { loaded: !!window.consentUI, src: src || null, title: document.title };
}"""
LINKS = "() => [...document.querySelectorAll('a[href]')].map((a) => a.href)"
CHOSEN = "() => !!(window.consentUI && window.consentUI.get())"
SCROLL = """async () => {
  for (let i = 0; i < 20; i++) {
    const before = window.scrollY;
    window.scrollBy(0, window.innerHeight);
    await new Promise((r) => setTimeout(r, 50));
    if (window.scrollY == before) break;
  }
}"""


class VisitError(Exception):
    """A page that cannot be scanned: unreachable, not HTML, an HTTP error."""


@dataclass
class Visit:
    state: str
    observations: list[Observation] = field(default_factory=list)
    screenshot: bytes | None = None
    #: Why the visit could not be made (no banner to choose in…), None when it was.
    skipped: str | None = None


@dataclass
class PageScan:
    url: str
    status: int
    title: str
    #: The snippet's base URL (its ``src`` without ``/consent.js``), None without one.
    consent_base: str | None
    visits: dict[str, Visit] = field(default_factory=dict)
    links: list[str] = field(default_factory=list)

    @property
    def loads_consent_ui(self) -> bool:
        return self.consent_base is not None


def consent_base(src: str | None) -> str | None:
    if not src:
        return None
    parts = urlsplit(src)
    path = parts.path[: -len("/consent.js")]
    return f"{parts.scheme}://{parts.netloc}{path}"


class Visitor:
    def __init__(
        self,
        browser: Any,
        user_agent: str,
        *,
        wait: float,
        timeout: float,
        screenshots: bool,
    ) -> None:
        self.browser = browser
        self.user_agent = user_agent
        self.wait = wait
        self.timeout_ms = timeout * 1000
        self.screenshots = screenshots

    def scan(self, url: str) -> PageScan:
        """The three visits of ``url``; VisitError when it is not a page to scan."""
        contexts, pages, observers = [], {}, {}
        try:
            for state in STATES:
                context = self.browser.new_context(
                    user_agent=self.user_agent,
                    viewport={"width": 1280, "height": 800},
                    locale="en-GB",
                )
                contexts.append(context)
                observers[state] = Observer(context)
                pages[state] = context.new_page()
                pages[state].set_default_timeout(self.timeout_ms)
            scan = self._first(pages[BEFORE], url)
            marks: dict[str, int] = {BEFORE: 0}
            for state in (REJECTED, ACCEPTED):
                if scan.loads_consent_ui:
                    marks[state], skipped = self._choose(
                        pages[state], observers[state], scan.url, ACTIONS[state]
                    )
                else:
                    skipped = "this page does not load consent-ui"
                if skipped:
                    scan.visits[state] = Visit(state, skipped=skipped)
            ignore = {host_of(scan.consent_base)} if scan.consent_base else set()
            for state, page in pages.items():
                if state not in scan.visits:
                    self._settle(page)
            if self.wait:
                pages[BEFORE].wait_for_timeout(self.wait * 1000)
            # Once the page has settled: links a script (the banner) added count too.
            scan.links = evaluate(pages[BEFORE], LINKS)
            for state, page in pages.items():
                if state in scan.visits:
                    continue
                seen = observers[state].snapshot([page], since=marks[state], ignore_hosts=ignore)
                visit = Visit(state, list(seen))
                if self.screenshots:
                    page.evaluate("() => window.scrollTo(0, 0)")
                    visit.screenshot = page.screenshot(type="jpeg", quality=70)
                scan.visits[state] = visit
            scan.visits = {s: scan.visits[s] for s in STATES}
            return scan
        finally:
            for context in contexts:
                context.close()

    def _goto(self, page: Any, url: str) -> Any:
        from playwright.sync_api import Error

        try:
            response = page.goto(url, wait_until="load")
        except Error as e:
            reason = str(e).splitlines()[0].removeprefix("Page.goto: ")
            raise VisitError(f"cannot reach {url}: {reason}") from None
        if response is None:
            raise VisitError(f"cannot reach {url}: no response")
        return response

    def _first(self, page: Any, url: str) -> PageScan:
        response = self._goto(page, url)
        if response.status >= 400:
            raise VisitError(f"{url} answered HTTP {response.status}")
        kind = (response.headers.get("content-type") or "").split(";")[0].strip().lower()
        if kind not in ("text/html", "application/xhtml+xml"):
            raise VisitError(f"{url} is not an HTML page ({kind or 'no content type'})")
        # A tag manager may add the snippet late: give it the time late trackers get.
        _, found = poll(page, DETECT, lambda v: v["loaded"] and v["src"], self.wait or 0.5)
        found = found or {"loaded": False, "src": None, "title": ""}
        return PageScan(
            url=page.url,
            status=response.status,
            title=found["title"],
            consent_base=consent_base(found["src"]) if found["loaded"] else None,
        )

    def _choose(
        self, page: Any, observer: Observer, url: str, action: str
    ) -> tuple[int, str | None]:
        """Load the page, click ``action`` in the visible banner (or, on a page that is
        the choice itself, the visible button of that name), then load it again."""
        from playwright.sync_api import Error

        self._goto(page, url)
        buttons = page.locator(f'[data-consent-action="{action}"]').locator("visible=true")
        try:
            buttons.first.wait_for(state="visible", timeout=max(self.wait, 5) * 1000)
        except Error:
            return 0, f"no visible {action} button: the banner did not show"
        mark = observer.mark()
        buttons.first.click()
        if not poll(page, CHOSEN, bool, 10)[0]:
            return 0, f"{action} was clicked, but no choice was recorded"
        self._goto(page, url)
        return mark, None

    def _settle(self, page: Any) -> None:
        try:
            page.wait_for_load_state("load")
            page.evaluate(SCROLL)
        except Exception:  # noqa: S110 - it navigated away while scrolling: still observed
            pass
