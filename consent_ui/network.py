"""Client addresses, truncated before anything stores them."""

from __future__ import annotations

import ipaddress

IPV4_PREFIX = 24
IPV6_PREFIX = 48


def ip_prefix(address: str | None) -> str | None:
    """The network of an address: /24 for IPv4 (``203.0.113.0``), /48 for IPv6.

    An IPv4 address mapped into IPv6 is truncated as IPv4. Anything that is not an
    address gives None: the raw value is never kept.
    """
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.strip().split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    prefix = IPV4_PREFIX if ip.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)
