"""Which pages the scanner visits: same site, breadth-first, robots.txt, a limit."""

from __future__ import annotations

from urllib.robotparser import RobotFileParser

import pytest

from consent_ui.scan.crawl import Crawl, normalise, site_of


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("https://www.example.org/a", ("https", "example.org")),
        ("https://shop.example.org/", ("https", "example.org")),
        ("https://www.example.co.uk/", ("https", "example.co.uk")),
        ("http://127.0.0.1:8000/", ("http", "127.0.0.1")),
        ("http://localhost:8001/", ("http", "localhost")),
        ("http://[::1]:8001/", ("http", "::1")),
    ],
)
def test_a_site_is_a_registrable_domain(url: str, site: tuple[str, str]) -> None:
    assert site_of(url) == site


def test_sites_differ_by_registrable_domain_not_by_subdomain_or_port() -> None:
    assert site_of("https://a.example.co.uk/") != site_of("https://b.other.co.uk/")
    assert site_of("http://127.0.0.1:1/") == site_of("http://127.0.0.1:2/")


@pytest.mark.parametrize(
    ("link", "url"),
    [
        ("https://example.org/a#top", "https://example.org/a"),
        ("https://example.org", "https://example.org/"),
        ("https://example.org/?q=1", "https://example.org/?q=1"),
        ("mailto:privacy@example.org", None),
        ("javascript:void(0)", None),
        ("ftp://example.org/file", None),
    ],
)
def test_links_are_pages_without_their_fragment(link: str, url: str | None) -> None:
    assert normalise(link) == url


def robots(text: str):
    def read(origin: str) -> RobotFileParser:
        rules = RobotFileParser()
        rules.parse(text.splitlines())
        return rules

    return read


def test_the_crawl_is_breadth_first_same_site_and_bounded() -> None:
    crawl = Crawl(["https://www.example.org/"], 3, robots(""))
    order = []
    for url in crawl:
        order.append(url)
        if url == "https://www.example.org/":
            crawl.add_links(
                [
                    "https://www.example.org/a",
                    "https://shop.example.org/b",  # same site
                    "https://tracker.test/c",  # another site
                    "https://www.example.org/a#again",  # seen
                ]
            )
        elif url == "https://www.example.org/a":
            crawl.add_links(["https://www.example.org/a/deeper"])
    assert order == [
        "https://www.example.org/",
        "https://www.example.org/a",
        "https://shop.example.org/b",
    ]
    assert crawl.skipped == {"https://tracker.test/c": "another site"}
    assert list(crawl.queue) == ["https://www.example.org/a/deeper"]


def test_robots_txt_keeps_discovered_links_out_but_not_the_urls_given() -> None:
    rules = robots("User-agent: consent-ui-scanner\nDisallow: /private\n")
    crawl = Crawl(["https://example.org/private/start"], 10, rules)
    crawl.add_links(["https://example.org/private/other", "https://example.org/public"])
    assert list(crawl) == ["https://example.org/private/start", "https://example.org/public"]
    assert crawl.skipped == {"https://example.org/private/other": "robots.txt"}


def test_a_page_that_was_no_page_does_not_count() -> None:
    crawl = Crawl(["https://example.org/", "https://example.org/file.pdf"], 1, robots(""))
    seen = []
    for url in crawl:
        seen.append(url)
        if url.endswith(".pdf"):
            pass
        else:
            crawl.uncount()
    assert seen == ["https://example.org/", "https://example.org/file.pdf"]
