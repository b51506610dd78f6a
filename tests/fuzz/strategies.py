"""Hypothesis strategies for what a client may send: a method, a path built for a route
(or any path at all), a query string, headers and a body.

Each mixes the values the service understands (so that deep code runs: valid tokens,
choices, a CSRF pair) with hostile ones (overlong hosts, malformed X-Forwarded-*,
forged tokens, JSON of every shape, bytes that are not UTF-8, bodies past 16 KB).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from hypothesis import strategies as st
from werkzeug.routing import Rule

from consent_ui.consent import ACTIONS, SURFACES
from consent_ui.policy import LANGUAGES

#: One character of a header value as WSGI carries it (latin-1, no line break).
HEADER_CHARS = st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f")
HEADER_TEXT = st.text(HEADER_CHARS, max_size=60)
ANY_TEXT = st.text(max_size=40)
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@dataclass
class Request:
    method: str
    path: str
    #: A path given to the WSGI environ as is (never parsed by the test client).
    raw_path: str | None = None
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None

    def describe(self) -> str:
        body = None if self.body is None else self.body[:300]
        return (
            f"{self.method} {self.raw_path or self.path}?{self.query[:200]} "
            f"headers={self.headers!r} body={body!r}"
        )


# ---- headers ----

_LABEL = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
_NAME = st.lists(_LABEL, min_size=1, max_size=4).map(".".join)
_PORT = st.integers(0, 99999).map(str)

HOSTS = st.one_of(
    _NAME,
    st.tuples(_NAME, _PORT).map(":".join),
    st.sampled_from(["localhost", "[::1]:8000", "[2001:db8::1]", "127.0.0.1:5000", "[::1", "a..b"]),
    st.integers(60, 70).map(lambda n: "a" * n + ".example.org"),
    st.integers(250, 7000).map(lambda n: "a." * (n // 2)),
    HEADER_TEXT,
)
PROTOS = (
    st.sampled_from(["http", "https", "HTTPS", "ftp", "http://127.0.0.1:5099", ""]) | HEADER_TEXT
)
PORTS = st.sampled_from(["80", "443", "8443", "0", "65535", "65536", "http", ""]) | HEADER_TEXT
PREFIXES = (
    st.sampled_from(["/consent-ui", "/a/b/", "", "/", "/a/../b", "http://evil/", "/a><b", "//x"])
    | HEADER_TEXT
)
FORWARDED_FOR = (
    st.sampled_from(["203.0.113.7", "2001:db8::1", "unknown", "1.2.3.4, 5.6.7.8", "::ffff:1.2.3.4"])
    | HEADER_TEXT
)
ACCEPTS = (
    st.sampled_from(["application/json", "text/html", "*/*", "text/html;q=0.1, application/json"])
    | HEADER_TEXT
)
LANGS = st.sampled_from(["fr", "en-GB,en;q=0.8", "de", "*", "fr;q=abc", "fr-CA;q=0"]) | HEADER_TEXT
CONTENT_TYPES = (
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=latin-1",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "multipart/form-data; boundary=x",
            "text/plain",
            "",
        ]
    )
    | HEADER_TEXT
)


def origins(allowed: str) -> st.SearchStrategy[str]:
    return (
        st.sampled_from([allowed, "http://localhost", "https://evil.example", "null"]) | HEADER_TEXT
    )


def tokens(valid: list[str]) -> st.SearchStrategy[str]:
    """Genuine tokens (signed by the app under test) and their forgeries."""
    genuine = st.sampled_from(valid)
    return st.one_of(
        genuine,
        genuine.map(lambda t: t + "x"),
        genuine.map(lambda t: t[:-6]),
        genuine.map(lambda t: "A" + t[1:]),
        st.sampled_from(["", "garbage", "a" * 3000, "e30.e30.e30"]),
        HEADER_TEXT,
    )


# ---- bodies ----

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
PAGES = (
    st.sampled_from(
        ["/", "/ads/1?x#y", "//[", "//[abc]/x", "http://[::1/x", "//a\uff03b/x", "https://a/b"]
    )
    | st.sampled_from(["ftp://x/y", "", "ads", "?q=1", "/" + "a" * 2048, "/" + "a" * 2047])
    | ANY_TEXT
)


def choices(keys: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    """Bodies shaped like a choice, each field valid, invalid or missing."""
    return st.fixed_dictionaries(
        {},
        optional={
            "action": st.sampled_from([*ACTIONS, "withdraw", "nope"]) | JSON,
            "categories": st.lists(st.sampled_from([*keys, "nope", ""]), max_size=5) | JSON,
            "surface": st.sampled_from([*SURFACES, "popup"]) | JSON,
            "page": PAGES | JSON,
            "lang": st.sampled_from([*LANGUAGES, "de", "", None]) | JSON,
            "gpc": st.booleans() | JSON,
            "next": PAGES,
        },
    )


def valid_choices(keys: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    """Choices the service takes, so that half the bodies reach the log."""
    return st.fixed_dictionaries(
        {"action": st.sampled_from(ACTIONS)},
        optional={
            "categories": st.lists(st.sampled_from(keys), max_size=4),
            "surface": st.sampled_from(SURFACES),
            "page": st.sampled_from(["/", "/ads/1?x=1", "https://shop.example.org/a", "//["]),
            "lang": st.sampled_from(LANGUAGES),
            "gpc": st.booleans(),
            "next": st.sampled_from(["/", "/ads/1", "//evil.example/"]),
        },
    ).map(lambda c: {**c, "categories": c.get("categories", [])})


def _form(fields: dict[str, Any]) -> bytes:
    pairs = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            text = item if isinstance(item, str) else json.dumps(item)
            pairs.append((name if name != "categories" else "category", text))
    return urlencode(pairs).encode()


def bodies(keys: tuple[str, ...]) -> st.SearchStrategy[tuple[str, bytes | None]]:
    """(how it is encoded, the bytes); the encoding picks a fitting Content-Type."""
    return st.one_of(
        st.just(("none", None)),
        valid_choices(keys).map(lambda c: ("json", json.dumps(c).encode())),
        valid_choices(keys).map(lambda c: ("form", _form(c))),
        choices(keys).map(lambda c: ("json", json.dumps(c).encode())),
        JSON.map(lambda v: ("json", json.dumps(v, ensure_ascii=False).encode())),
        choices(keys).map(lambda c: ("form", _form(c))),
        st.binary(max_size=2000).map(lambda b: ("raw", b)),
        st.integers(16 * 1024 - 40, 16 * 1024 + 40).map(
            lambda n: ("json", b'{"action": "accept_all", "x": "' + b"y" * n + b'"}')
        ),
    )


# ---- requests ----


@dataclass(frozen=True)
class Context:
    """What the strategies know of the app under test."""

    keys: tuple[str, ...]
    tokens: list[str]
    allowed_origin: str
    #: (session cookie value, CSRF token of that session), for forms that pass.
    csrf: tuple[str, str]


def headers(context: Context, encoding: str) -> st.SearchStrategy[dict[str, str]]:
    return benign_headers(context, encoding) | hostile_headers(context, encoding)


def _cookie(context: Context) -> st.SearchStrategy[str]:
    return st.fixed_dictionaries(
        {},
        optional={
            "consent": tokens(context.tokens),
            "lang": st.sampled_from(["fr", "en", "de"]) | HEADER_TEXT,
            "session": st.just(context.csrf[0]) | HEADER_TEXT,
        },
    ).map(lambda c: "; ".join(f"{k}={v}" for k, v in c.items()))


def _content_type(encoding: str) -> st.SearchStrategy[str]:
    return {
        "json": st.just("application/json") | CONTENT_TYPES,
        "form": st.just("application/x-www-form-urlencoded") | CONTENT_TYPES,
    }.get(encoding, CONTENT_TYPES)


def benign_headers(context: Context, encoding: str) -> st.SearchStrategy[dict[str, str]]:
    """What a browser or the snippet sends, through a well-configured proxy."""
    return st.fixed_dictionaries(
        {},
        optional={
            "Origin": st.sampled_from([context.allowed_origin, "http://localhost"]),
            "Accept": st.sampled_from(["application/json", "text/html", "*/*"]),
            "Accept-Language": st.sampled_from(["fr", "en-GB,en;q=0.8"]),
            "Cookie": _cookie(context),
            "X-Consent-Token": tokens(context.tokens),
            "Sec-GPC": st.just("1"),
            "Content-Type": _content_type(encoding),
            "X-Forwarded-Proto": st.sampled_from(["http", "https"]),
            "X-Forwarded-Prefix": st.just("/consent-ui"),
        },
    )


def hostile_headers(context: Context, encoding: str) -> st.SearchStrategy[dict[str, str]]:
    cookie = _cookie(context)
    content_type = _content_type(encoding)
    return st.fixed_dictionaries(
        {},
        optional={
            "Host": HOSTS,
            "X-Forwarded-Host": HOSTS,
            "X-Forwarded-Proto": PROTOS,
            "X-Forwarded-Port": PORTS,
            "X-Forwarded-Prefix": PREFIXES,
            "X-Forwarded-For": FORWARDED_FOR,
            "Origin": origins(context.allowed_origin),
            "Accept": ACCEPTS,
            "Accept-Language": LANGS,
            "Cookie": cookie,
            "X-Consent-Token": tokens(context.tokens),
            "Sec-GPC": st.sampled_from(["1", "0", ""]) | HEADER_TEXT,
            "Content-Type": content_type,
            "Referer": HEADER_TEXT,
        },
    )


QUERY_KEYS = st.sampled_from(["lang", "part", "gpc", "next", "v", "q"]) | st.text(max_size=8)
QUERY_VALUES = (
    st.sampled_from(["en", "fr", "de", "banner", "preferences", "1", "//evil", "/ok", "x" * 300])
    | ANY_TEXT
)
QUERIES = st.one_of(
    st.lists(st.tuples(QUERY_KEYS, QUERY_VALUES), max_size=4).map(urlencode),
    st.text(HEADER_CHARS, max_size=80),
)


def _arguments(rule: Rule) -> st.SearchStrategy[dict[str, str]]:
    values = {}
    for name in rule.arguments:
        items = sorted(getattr(rule._converters[name], "items", ()))
        values[name] = st.sampled_from(items) if items else st.text(min_size=1, max_size=30)
    return st.fixed_dictionaries(values)


def requests_for(rule: Rule, build: Any, context: Context) -> st.SearchStrategy[Request]:
    """Requests to one route: its methods mostly, any other sometimes."""
    methods = sorted(rule.methods or ())

    own = [m for m in methods if m not in ("HEAD", "OPTIONS")] or methods

    @st.composite
    def draw(draw: Any) -> Request:
        path = build(rule.endpoint, draw(_arguments(rule)))
        if draw(st.booleans()):
            # Well formed: the route's own method, a choice it takes, benign headers.
            method = draw(st.sampled_from(own))
            encoding = "json" if path.startswith("/api/") else "form"
            fields = draw(valid_choices(context.keys))
            body = json.dumps(fields).encode() if encoding == "json" else _form(fields)
            chosen = draw(benign_headers(context, encoding))
            chosen["Content-Type"] = (
                "application/json" if encoding == "json" else "application/x-www-form-urlencoded"
            )
        else:
            method = draw(st.sampled_from(methods) | st.sampled_from(METHODS))
            encoding, body = draw(bodies(context.keys))
            chosen = draw(headers(context, encoding))
        if encoding == "form" and draw(st.booleans()):
            # A form that passes CSRF, so that the choice itself gets parsed and logged.
            chosen["Cookie"] = f"session={context.csrf[0]}"
            body = (body or b"") + b"&" + urlencode({"csrf_token": context.csrf[1]}).encode()
        return Request(method, path, query=draw(QUERIES), headers=chosen, body=body)

    return draw()


def raw_requests(context: Context) -> st.SearchStrategy[Request]:
    """Any path at all (latin-1, as WSGI carries it), to fuzz the routing and 404s."""
    paths = st.one_of(
        st.text(HEADER_CHARS, max_size=60).map(lambda p: "/" + p),
        st.sampled_from(["//[", "//[abc]/x", "/api/", "/api//consent", "/%2e%2e/", "/consent.js/"]),
        st.text(HEADER_CHARS, max_size=20),
    )

    @st.composite
    def draw(draw: Any) -> Request:
        encoding, body = draw(bodies(context.keys))
        return Request(
            draw(st.sampled_from(METHODS)),
            "/",
            raw_path=draw(paths),
            query=draw(QUERIES),
            headers=draw(headers(context, encoding)),
            body=body,
        )

    return draw()
