"""The request as it arrives, checked once at the edge (WSGI), before Flask reads it.

Where it says it was sent: clients choose ``Host``; behind a trusted proxy they may also
reach ``X-Forwarded-Host``, ``-Proto``, ``-Port`` and ``-Prefix`` (werkzeug's
``ProxyFix`` copies them into the environ). Every URL the service builds comes from
these values, so they are checked here, after ProxyFix and before Flask binds its URL
adapter: a bad one is replaced by a harmless stand-in (so that the error page itself
can be rendered) and the request is refused with a 400 naming the header, whatever
route it was for.

And its query string: raw bytes past ASCII (which a browser percent-encodes, but a
client may send as they are) are percent-encoded here, as a browser would, since
werkzeug decodes the query as UTF-8 and would raise on anything else.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from .errors import BadHeader

#: Where the name of a refused header waits for ``refuse_bad_request``.
ENVIRON_KEY = "consent_ui.bad_header"
#: The request headers that can change the URLs the service builds, by trusted proxies.
FORWARDED = ("X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Port", "X-Forwarded-Prefix")

_LABEL = r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)"
_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?", re.ASCII)
_PORT = re.compile(r"[0-9]{1,5}", re.ASCII)
_SEGMENT = re.compile(r"[A-Za-z0-9_~!$&'()*+,;=:@.-]+", re.ASCII)
_QUERY_SAFE = "".join(chr(c) for c in range(0x20, 0x7F))
_MAX_NAME = 253
_MAX_PREFIX = 256

Environ = dict[str, Any]
WSGIApp = Callable[[Environ, Callable[..., Any]], Iterable[bytes]]


def valid_host(value: str) -> bool:
    """``name[:port]``, ``IPv4[:port]`` or ``[IPv6][:port]``, as RFC 3986 writes them
    (ASCII; internationalised names arrive punycoded)."""
    if value.startswith("["):
        address, bracket, port = value[1:].partition("]")
        if not bracket or (port and not port.startswith(":")):
            return False
        try:
            ipaddress.IPv6Address(address)
        except ValueError:
            return False
        return not port or valid_port(port[1:])
    name, colon, port = value.partition(":")
    if colon and not valid_port(port):
        return False
    return len(name.rstrip(".")) <= _MAX_NAME and _NAME.fullmatch(name) is not None


def valid_port(value: str) -> bool:
    return _PORT.fullmatch(value) is not None and 0 < int(value) <= 65535


def valid_prefix(value: str) -> bool:
    """A path of plain segments (no ``.``/``..``, no empty segment), or nothing."""
    if value in ("", "/"):
        return True
    if len(value) > _MAX_PREFIX or not value.startswith("/"):
        return False
    segments = value.rstrip("/")[1:].split("/")
    return all(_SEGMENT.fullmatch(s) and s not in (".", "..") for s in segments)


class EdgeCheck:
    """WSGI middleware that checks the environ ProxyFix (if any) left; wrap it inside
    ProxyFix: ``ProxyFix(EdgeCheck(app.wsgi_app))``."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        query = environ.get("QUERY_STRING", "")
        if not query.isascii():
            # WSGI strings carry bytes as latin-1; "%" and every ASCII character stay.
            environ["QUERY_STRING"] = quote(query.encode("latin-1", "replace"), safe=_QUERY_SAFE)
        bad = check(environ)
        if bad is not None:
            environ[ENVIRON_KEY] = bad
        return self.app(environ, start_response)


def check(environ: Environ) -> str | None:
    """The name of the first bad header, after putting a stand-in in its place; or None.

    The prefix is also normalised (no trailing slash) and the scheme lowercased.
    """
    original = environ.get("werkzeug.proxy_fix.orig", {})

    def source(key: str, forwarded: str, direct: str) -> str:
        header = "HTTP_" + forwarded.upper().replace("-", "_")
        changed = key in original and original[key] != environ.get(key)
        return forwarded if changed and header in environ else direct

    bad = None
    scheme = str(environ.get("wsgi.url_scheme", "http")).lower()
    if scheme in ("http", "https"):
        environ["wsgi.url_scheme"] = scheme
    else:
        bad = source("wsgi.url_scheme", "X-Forwarded-Proto", "X-Forwarded-Proto")
        environ["wsgi.url_scheme"] = "http"

    port = str(environ.get("SERVER_PORT", "80"))
    if not valid_port(port):
        bad = bad or source("SERVER_PORT", "X-Forwarded-Port", "X-Forwarded-Port")
        environ["SERVER_PORT"] = "80"

    host = environ.get("HTTP_HOST")
    if host is not None and not valid_host(host):
        bad = bad or source("HTTP_HOST", "X-Forwarded-Host", "Host")
        environ["HTTP_HOST"] = environ["SERVER_NAME"] = "localhost"

    prefix = str(environ.get("SCRIPT_NAME", ""))
    if valid_prefix(prefix):
        environ["SCRIPT_NAME"] = prefix.rstrip("/")
    else:
        bad = bad or source("SCRIPT_NAME", "X-Forwarded-Prefix", "X-Forwarded-Prefix")
        environ["SCRIPT_NAME"] = ""
    return bad


def protect(app: Flask, trusted_proxies: int = 0) -> None:
    """Wire the check into an app: ProxyFix for ``trusted_proxies`` (if any) first, the
    check of what it left, and the 400. ``create_app`` does it; a host app may too."""
    app.wsgi_app = EdgeCheck(app.wsgi_app)  # type: ignore[method-assign]
    if trusted_proxies:
        n = trusted_proxies
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n
        )
    app.before_request(refuse_bad_request)


def refuse_bad_request() -> None:
    """``before_request``: the 400 of a request whose headers ``EdgeCheck`` refused."""
    bad = request.environ.get(ENVIRON_KEY)
    if bad is not None:
        raise BadHeader(bad)


def url_headers() -> tuple[str, ...]:
    """The request headers that decided this request's own URLs (what a response whose
    links are absolute must vary on): ``Host``, and ``X-Forwarded-*`` when a ProxyFix,
    ours or the host app's, is in the way."""
    return ("Host", *FORWARDED) if "werkzeug.proxy_fix.orig" in request.environ else ("Host",)
