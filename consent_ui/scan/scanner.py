"""The scan: crawl, visit each page three times, classify against the policy.

``run()`` is what ``consent-ui scan`` does, without the command line: it returns a
``Scan`` for the reports, or raises ``ScanError`` (one line) for a setup problem: an
unreachable or non-HTML start page, one without the snippet, a policy with errors, no
browser. Playwright is imported here only, so the rest of consent-ui runs without the
``[qa]`` extra.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from .. import remote
from ..agents import SCANNER, user_agent
from ..errors import PolicyError
from ..policy import Policy, load_policy
from .crawl import Crawl, robots_for
from .findings import assess
from .report import Scan
from .visit import PageScan, VisitError, Visitor

Progress = Callable[[int, int, PageScan | None, str], None]


class ScanError(Exception):
    """A scan that cannot be made; its text is the one line the operator reads."""


def fetch_policy(base: str) -> Policy:
    try:
        return remote.fetch_policy(base, SCANNER)
    except (remote.Unreachable, PolicyError) as e:
        raise ScanError(str(e)) from None


def _policy(policy_file: str | None, server: str | None) -> Policy | None:
    if policy_file:
        try:
            return load_policy(policy_file)
        except PolicyError as e:
            raise ScanError(str(e)) from None
    if server:
        return fetch_policy(server)
    return None


def run(
    urls: list[str],
    *,
    policy_file: str | None = None,
    server: str | None = None,
    max_pages: int = 20,
    wait: float = 2.0,
    timeout: float = 30.0,
    chromium_args: tuple[str, ...] = (),
    screenshots: bool = False,
    progress: Progress | None = None,
    lang: str = "en",
) -> Scan:
    started = time.monotonic()
    scanned_at = datetime.now(UTC).replace(microsecond=0)
    policy = _policy(policy_file, server)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ScanError("consent-ui scan needs Playwright: pip install 'consent-ui[qa]'") from None
    from .. import chromium

    agent = user_agent(SCANNER, "consent-ui")
    crawl = Crawl(urls, max_pages, lambda origin: robots_for(origin, agent, timeout))
    if not crawl.start:
        raise ScanError("give at least one http:// or https:// URL to scan")
    explicit = set(crawl.start)
    pages: list[PageScan] = []
    with sync_playwright() as p:
        try:
            browser = chromium.launch(p, chromium_args)
        except chromium.NoChromium as e:
            raise ScanError(str(e)) from None
        try:
            visitor = Visitor(
                browser,
                user_agent(SCANNER, chromium.user_agent(browser)),
                wait=wait,
                timeout=timeout,
                screenshots=screenshots,
            )
            for url in crawl:
                try:
                    scan = visitor.scan(url)
                    if not crawl.same_site(scan.url):
                        raise VisitError(f"{url} redirects to another site ({scan.url})")
                except VisitError as e:
                    if url in explicit:
                        raise ScanError(str(e)) from None
                    crawl.skipped[url] = str(e)
                    crawl.uncount()
                    continue
                if url in explicit and not scan.loads_consent_ui:
                    raise ScanError(f"{url}: this page does not load consent-ui")
                if policy is None:
                    policy = fetch_policy(scan.consent_base or "")
                pages.append(scan)
                crawl.add_links(scan.links)
                if progress:
                    total = min(crawl.max_pages, len(pages) + len(crawl.queue))
                    progress(len(pages), total, scan, url)
        finally:
            browser.close()
    assert policy is not None  # the first page either set it or stopped the scan
    return Scan(
        scanned_at=scanned_at,
        policy=policy,
        pages=pages,
        assessment=assess(policy, pages, lang),
        skipped=crawl.skipped,
        seconds=time.monotonic() - started,
        lang=lang,
    )
