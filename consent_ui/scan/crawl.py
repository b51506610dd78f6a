"""Which pages the scanner visits: the start URLs, then same-site links breadth-first,
as robots.txt allows, up to a number of pages; never another site.

A site is a registrable domain (``www.example.org`` and ``shop.example.org`` are one
site, ``example.co.uk`` and ``other.co.uk`` two), found with the Public Suffix List that
the ``publicsuffixlist`` package ships and keeps current; an IP address or a single-label
host (``localhost``) is a site of its own. robots.txt rules apply to discovered links;
the URLs the operator names are scanned as asked.
"""

from __future__ import annotations

import ipaddress
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Iterable
from functools import cache
from urllib.parse import urldefrag, urlsplit
from urllib.robotparser import RobotFileParser

from ..agents import SCANNER, TOKENS

#: The name robots.txt rules address the scanner by.
ROBOTS_AGENT = TOKENS[SCANNER]


@cache
def _suffixes():
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def site_of(url: str) -> tuple[str, str]:
    """The scheme and registrable domain of ``url``: pages of one site share them."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        ipaddress.ip_address(host)
        return parts.scheme, host
    except ValueError:
        pass
    if "." not in host:
        return parts.scheme, host
    return parts.scheme, _suffixes().privatesuffix(host) or host


def normalise(url: str) -> str | None:
    """``url`` without its fragment, or None when it is not an http(s) page."""
    url = urldefrag(url.strip())[0]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url if parts.path else url + "/"


def robots_for(origin: str, user_agent: str, timeout: float) -> RobotFileParser:
    """The robots.txt rules of an origin, read as RFC 9309 says: a missing file allows
    everything, an unreachable one (or a server error) allows nothing."""
    robots = RobotFileParser(origin + "/robots.txt")
    headers = {"User-Agent": user_agent}
    request = urllib.request.Request(robots.url, headers=headers)  # noqa: S310 - http(s) only
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            robots.parse(response.read().decode("utf-8", "replace").splitlines())
    except urllib.error.HTTPError as e:
        if e.code in (401, 403) or e.code >= 500:
            robots.disallow_all = True
        else:
            robots.allow_all = True
    except (OSError, ValueError):
        robots.disallow_all = True
    return robots


class Crawl:
    """The frontier of a breadth-first crawl over the sites of the start URLs."""

    def __init__(
        self,
        start: Iterable[str],
        max_pages: int,
        robots: Callable[[str], RobotFileParser],
    ) -> None:
        self.start = [u for u in (normalise(s) for s in start) if u]
        self.sites = {site_of(u) for u in self.start}
        self.max_pages = max_pages
        self.queue: deque[str] = deque(dict.fromkeys(self.start))
        self.seen: set[str] = set(self.queue)
        self.visited = 0
        #: Links left out, and why: "another site", "robots.txt".
        self.skipped: dict[str, str] = {}
        self._robots = robots
        self._rules: dict[str, RobotFileParser] = {}

    def same_site(self, url: str) -> bool:
        return site_of(url) in self.sites

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._rules:
            self._rules[origin] = self._robots(origin)
        return self._rules[origin].can_fetch(ROBOTS_AGENT, url)

    def __iter__(self):
        while self.queue and self.visited < self.max_pages:
            url = self.queue.popleft()
            self.visited += 1
            yield url

    def add_links(self, links: Iterable[str]) -> None:
        """Queue the links of a page just visited that the crawl may follow."""
        for link in links:
            url = normalise(link)
            if url is None or url in self.seen or url in self.skipped:
                continue
            if not self.same_site(url):
                self.skipped[url] = "another site"
            elif not self.allowed(url):
                self.skipped[url] = "robots.txt"
            else:
                self.seen.add(url)
                self.queue.append(url)

    def uncount(self) -> None:
        """The page just taken was not a page after all (not HTML, a redirect away)."""
        self.visited -= 1
