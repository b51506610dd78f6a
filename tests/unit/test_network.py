"""Client addresses are truncated before anything stores them: /24 for IPv4, /48 for
IPv6; anything that is not an address is dropped, never kept raw."""

from __future__ import annotations

import pytest

from consent_ui.network import ip_prefix


@pytest.mark.parametrize(
    ("address", "prefix"),
    [
        ("203.0.113.77", "203.0.113.0"),
        ("203.0.113.0", "203.0.113.0"),
        ("203.0.113.255", "203.0.113.0"),
        ("10.1.2.3", "10.1.2.0"),
        ("127.0.0.1", "127.0.0.0"),
        ("2001:db8:abcd:12:34:56:78:9a", "2001:db8:abcd::"),
        ("2001:db8:abcd:ffff:ffff:ffff:ffff:ffff", "2001:db8:abcd::"),
        ("2001:DB8:ABCD:0012::1", "2001:db8:abcd::"),
        ("::1", "::"),
        ("::ffff:203.0.113.77", "203.0.113.0"),
        ("::ffff:cb00:714d", "203.0.113.0"),
        ("fe80::1234:5678%eth0", "fe80::"),
        ("fe80:0:0:1::1%3", "fe80::"),
        ("  203.0.113.77  ", "203.0.113.0"),
        ("\t2001:db8:abcd:12::1\n", "2001:db8:abcd::"),
    ],
)
def test_addresses_are_truncated(address: str, prefix: str) -> None:
    assert ip_prefix(address) == prefix


@pytest.mark.parametrize(
    "address",
    [
        None,
        "",
        "   ",
        "unknown",
        "203.0.113",
        "203.0.113.256",
        "203.0.113.7/24",
        "203.0.113.7:8080",
        "[2001:db8::1]",
        "2001:db8:::1",
        "%eth0",
        "203.0.113.7, 198.51.100.1",
        "localhost",
    ],
)
def test_non_addresses_give_none(address: str | None) -> None:
    assert ip_prefix(address) is None
