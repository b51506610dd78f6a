"""Reading Set-Cookie values and document.cookie writes (consent_ui.observe)."""

from __future__ import annotations

import pytest

from consent_ui.observe import Observation, SetBy, parse_set_cookie


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("_ga=GA1.1.2; Path=/; Max-Age=63072000", ("_ga", "shop.example.org", False)),
        ("_fbp=fb.1; Domain=.example.org; Path=/", ("_fbp", "example.org", False)),
        ("consent=; Max-Age=0; Path=/", ("consent", "shop.example.org", True)),
        ("old=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT", ("old", "shop.example.org", True)),
        ("later=1; Expires=Fri, 01 Jan 2100 00:00:00 GMT", ("later", "shop.example.org", False)),
        # SimpleCookie refuses these values; the name is still read, and the attributes
        ("ab test=a b,c; max-age=-1", ("ab test", "shop.example.org", True)),
        ('prefs={"a": 1}, x; domain=Example.ORG', ("prefs", "example.org", False)),
    ],
)
def test_a_cookie_write_is_read_for_its_name_domain_and_deletion(raw, expected) -> None:
    assert parse_set_cookie(raw, "shop.example.org") == expected


@pytest.mark.parametrize("raw", ["", "=x", "; path=/"])
def test_a_write_without_a_name_is_not_a_cookie(raw: str) -> None:
    assert parse_set_cookie(raw, "example.org") is None


def test_observations_say_in_plain_words_what_and_who() -> None:
    cookie = Observation("cookie", "_ga", "example.org", SetBy("script", "https://x.test/ga.js"))
    assert cookie.describe() == "cookie “_ga” on example.org"
    assert cookie.set_by.describe() == "the script https://x.test/ga.js"
    assert SetBy("response", "https://x.test/").describe() == (
        "the HTTP response of https://x.test/ (Set-Cookie)"
    )
    assert SetBy("inline", "https://x.test/p").describe() == "an inline script of https://x.test/p"
    key = Observation("sessionStorage", "k", "example.org")
    assert key.describe() == "sessionStorage key “k” on example.org"
    assert Observation("request", "https://t.test/c", "t.test").describe() == (
        "request to https://t.test/c"
    )
