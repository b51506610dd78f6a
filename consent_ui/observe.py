"""What a page stores and calls, and who did it: the observation behind the cookie
scanner and the QA kit's ``trackers`` fixture.

An ``Observer`` watches a Playwright ``BrowserContext`` from before its pages load:

- cookies set by an HTTP response (its ``Set-Cookie`` headers, with the response's URL)
  and by a script (``document.cookie``, with the script's URL where the browser tells:
  ``document.currentScript``, else the call stack);
- localStorage and sessionStorage keys, with the script that called ``setItem`` (keys
  assigned as properties are seen too, with no author: no browser says who wrote them);
- requests to other hosts than the page's own, with the page that made them.

``snapshot()`` says what is there now: the context's cookie jar and the pages' storage,
each attributed to the last setter seen. It works in any Playwright browser, on pages
with a strict Content-Security-Policy (init scripts and bindings are not page scripts).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import urlsplit

from .classify import COOKIE, LOCAL_STORAGE, REQUEST, SESSION_STORAGE
from .errors import Gettext

#: The page-side name of the binding the init script reports to.
BINDING = "__consentUiObserved"

#: Runs in every frame before the page's own scripts: reports each document.cookie
#: write and each Storage.setItem with the script responsible.
INIT_SCRIPT = """(() => {
  const note = (o) => { try { window.__BINDING__(o); } catch (e) { /* not exposed here */ } };
  const who = () => {
    const s = document.currentScript;
    const page = location.href.split('#')[0];
    if (s) return s.src ? { by: s.src, inline: false } : { by: page, inline: true };
    // Else the innermost frame of the call stack that has a URL (Chromium: "at f (URL:1:2)",
    // Firefox and WebKit: "f@URL:1:2").
    const stack = new Error().stack || '';
    const urls = stack.match(/(?:https?|file):\\/\\/[^\\s()]+?(?=:\\d+:\\d+)/g) || [];
    if (!urls.length) return { by: null, inline: false };
    return { by: urls[0], inline: urls[0].split('#')[0] == page };
  };
  const jar = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
  if (jar && jar.set) {
    Object.defineProperty(Document.prototype, 'cookie', {
      configurable: true,
      enumerable: jar.enumerable,
      get() { return jar.get.call(this); },
      set(value) {
        note({ type: 'cookie', raw: String(value), host: location.hostname, ...who() });
        jar.set.call(this, value);
      },
    });
  }
  const setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function (key, value) {
    let area = 'sessionStorage';
    try { if (this === window.localStorage) area = 'localStorage'; } catch (e) { /* disabled */ }
    note({ type: 'storage', area, key: String(key), host: location.hostname, ...who() });
    return setItem.call(this, key, value);
  };
})();""".replace("__BINDING__", BINDING)

#: Every key of both storage areas of a frame, [] where storage is disabled.
STORAGE_KEYS = """() => {
  const keys = (area) => { try { return Object.keys(window[area]); } catch (e) { return []; } };
  return { localStorage: keys('localStorage'), sessionStorage: keys('sessionStorage') };
}"""


def _as_is(text: str) -> str:
    return text


@dataclass(frozen=True)
class SetBy:
    """Who set a cookie or a storage key, or made a request."""

    #: ``response`` (a Set-Cookie header), ``script`` (an external script), ``inline``
    #: (an inline script of the page at ``url``) or ``page`` (a request of the page).
    type: str
    url: str

    def describe(self, _: Gettext = _as_is) -> str:
        """In plain words, for a report or an assertion message; ``_`` translates it
        (the scanner's reports), as ``ConsentUIError.message`` does."""
        if self.type == "response":
            text = _("the HTTP response of %(url)s (Set-Cookie)")
        elif self.type == "script":
            text = _("the script %(url)s")
        elif self.type == "inline":
            text = _("an inline script of %(url)s")
        elif self.type == "page":
            text = _("the page %(url)s")
        else:
            raise ValueError(f"unknown setter type {self.type!r}")
        return text % {"url": self.url}

    def to_json(self) -> dict[str, str]:
        return {"type": self.type, "url": self.url}


@dataclass(frozen=True)
class Observation:
    """One cookie, storage key or request: ``name`` is the cookie's name, the key, or
    the request's URL without its query; ``domain`` the cookie's domain (no leading
    dot), the storage's host or the request's host."""

    kind: str
    name: str
    domain: str
    set_by: SetBy | None = None
    #: A cookie's expiry (seconds since the epoch), None for a session cookie.
    expires: float | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.name, self.domain)

    def describe(self, _: Gettext = _as_is) -> str:
        """In plain words, translated by ``_`` as ``SetBy.describe``."""
        if self.kind == COOKIE:
            text = _("cookie “%(name)s” on %(domain)s")
        elif self.kind == LOCAL_STORAGE:
            text = _("localStorage key “%(name)s” on %(domain)s")
        elif self.kind == SESSION_STORAGE:
            text = _("sessionStorage key “%(name)s” on %(domain)s")
        elif self.kind == REQUEST:
            return _("request to %(url)s") % {"url": self.name}
        else:
            raise ValueError(f"unknown kind {self.kind!r}")
        return text % {"name": self.name, "domain": self.domain}


@dataclass(frozen=True)
class _Write:
    """A cookie or storage write seen as it happened."""

    seq: int
    kind: str
    name: str
    domain: str
    set_by: SetBy | None
    deletes: bool = False


@dataclass
class Snapshot:
    """What a context holds now, and the requests made since a mark."""

    cookies: list[Observation] = field(default_factory=list)
    storage: list[Observation] = field(default_factory=list)
    requests: list[Observation] = field(default_factory=list)

    def __iter__(self):
        yield from self.cookies
        yield from self.storage
        yield from self.requests


def evaluate(page: Any, expression: str, tries: int = 3) -> Any:
    """``page.evaluate``, again once the page has loaded when a navigation (a reload
    after a withdrawal, a form post) replaced the document while it ran."""
    from playwright.sync_api import Error

    for attempt in range(tries):
        try:
            return page.evaluate(expression)
        except Error as e:
            if "context was destroyed" not in str(e) or attempt == tries - 1:
                raise
            page.wait_for_load_state("load")
    return None


def poll(page: Any, expression: str, done: Any, seconds: float) -> tuple[bool, Any]:
    """Evaluate ``expression`` until ``done(value)``: whether it came, and the last
    value. Unlike wait_for_function, this works on pages whose CSP forbids eval,
    and across navigations."""
    deadline = time.monotonic() + seconds
    value = None
    while True:
        try:
            value = page.evaluate(expression)
            if done(value):
                return True, value
        except Exception:  # noqa: S110 - navigating: the execution context was replaced
            pass
        if time.monotonic() > deadline:
            return False, value
        page.wait_for_timeout(50)


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def parse_set_cookie(raw: str, default_domain: str) -> tuple[str, str, bool] | None:
    """Name, domain and whether it deletes, of one ``Set-Cookie`` value (or a string
    written to ``document.cookie``, which has the same syntax); None when unreadable."""
    jar = SimpleCookie()
    try:
        jar.load(raw)
    except CookieError:
        jar = SimpleCookie()
    if len(jar) == 1:
        morsel = next(iter(jar.values()))
        name, domain = morsel.key, morsel["domain"] or default_domain
        max_age, expires = morsel["max-age"], morsel["expires"]
    else:  # a value SimpleCookie refuses (spaces, commas…): the name is still plain
        name = raw.split(";", 1)[0].split("=", 1)[0].strip()
        if not name:
            return None
        domain, max_age, expires = default_domain, "", ""
        for attribute in raw.split(";")[1:]:
            key, _, value = attribute.partition("=")
            key = key.strip().lower()
            if key == "domain":
                domain = value.strip() or default_domain
            elif key == "max-age":
                max_age = value.strip()
            elif key == "expires":
                expires = value.strip()
    deletes = False
    if str(max_age).strip():
        try:
            deletes = int(str(max_age).strip()) <= 0
        except ValueError:
            deletes = False
    elif expires:
        try:
            deletes = parsedate_to_datetime(expires).timestamp() < time.time()
        except (TypeError, ValueError):
            deletes = False
    return name, domain.lower().lstrip("."), deletes


def _on_domain(cookie_domain: str, write_domain: str) -> bool:
    return cookie_domain == write_domain or cookie_domain.endswith("." + write_domain)


class Observer:
    """Watches a ``BrowserContext``; attach it before the pages to watch navigate."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self._seq = 0
        self._last = time.monotonic()
        self._writes: list[_Write] = []
        self._requests: list[tuple[int, Any, str | None]] = []
        self._responses: list[tuple[int, Any]] = []
        context.expose_binding(BINDING, self._noted)
        context.add_init_script(INIT_SCRIPT)
        context.on("request", self._request)
        context.on("response", self._response)

    def mark(self) -> int:
        """A point in time: ``snapshot(since=mark)`` counts the requests made after it."""
        return self._next()

    def _next(self) -> int:
        self._seq += 1
        self._last = time.monotonic()
        return self._seq

    def settle(self, page: Any, *, quiet: float = 0.5, timeout: float = 5.0) -> None:
        """Wait until nothing was requested, answered or written for ``quiet``
        seconds (at most ``timeout``): late trackers, scripts that run one after the
        other. Unlike the page's "networkidle", it also holds after a click."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and time.monotonic() - self._last < quiet:
            page.wait_for_timeout(50)

    def _noted(self, source: Any, note: Any) -> None:
        if not isinstance(note, dict):
            return
        by, inline = note.get("by"), note.get("inline")
        set_by = SetBy("inline" if inline else "script", by) if isinstance(by, str) else None
        host = str(note.get("host") or "").lower()
        if note.get("type") == "cookie":
            parsed = parse_set_cookie(str(note.get("raw", "")), host)
            if parsed:
                name, domain, deletes = parsed
                self._writes.append(_Write(self._next(), COOKIE, name, domain, set_by, deletes))
        elif note.get("type") == "storage" and note.get("area") in (LOCAL_STORAGE, SESSION_STORAGE):
            key = str(note.get("key", ""))
            self._writes.append(_Write(self._next(), note["area"], key, host, set_by))

    def _request(self, request: Any) -> None:
        try:
            frame_url = request.frame.url
        except Exception:  # a service worker's request has no frame
            frame_url = None
        self._requests.append((self._next(), request, frame_url))

    def _response(self, response: Any) -> None:
        self._responses.append((self._next(), response))

    def _read_responses(self) -> None:
        """Set-Cookie headers are read from the browser once asked (``header_values``
        is a round trip, not to be made inside an event handler)."""
        pending, self._responses = self._responses, []
        for seq, response in pending:
            try:
                values = response.header_values("set-cookie")
            except Exception:  # noqa: S112 - the response's page or context is gone
                continue
            host = host_of(response.url)
            for raw in values:
                for line in raw.split("\n"):
                    parsed = parse_set_cookie(line, host)
                    if parsed:
                        name, domain, deletes = parsed
                        set_by = SetBy("response", response.url)
                        self._writes.append(_Write(seq, COOKIE, name, domain, set_by, deletes))

    def _setter(self, kind: str, name: str, domain: str) -> SetBy | None:
        """The last write that could have made this item."""
        found = None
        for write in sorted(self._writes, key=lambda w: w.seq):
            if write.kind != kind or write.name != name or write.deletes:
                continue
            if kind == COOKIE and not _on_domain(domain, write.domain):
                continue
            if kind != COOKIE and write.domain != domain:
                continue
            found = write.set_by or found
        return found

    def snapshot(
        self,
        pages: list[Any] | None = None,
        *,
        since: int = 0,
        ignore_hosts: frozenset[str] | set[str] = frozenset(),
    ) -> Snapshot:
        """The context's cookies, the storage keys of ``pages`` (default: all the
        context's pages), and the requests made after ``since`` to hosts other than
        the pages' own and ``ignore_hosts``."""
        self._read_responses()
        pages = self.context.pages if pages is None else pages
        snap = Snapshot()
        for cookie in self.context.cookies():
            domain = cookie["domain"].lower().lstrip(".")
            expires = cookie.get("expires")
            snap.cookies.append(
                Observation(
                    COOKIE,
                    cookie["name"],
                    domain,
                    self._setter(COOKIE, cookie["name"], domain),
                    expires if expires and expires > 0 else None,
                )
            )
        own_hosts = set()
        for page in pages:
            if page.is_closed():
                continue
            host = host_of(page.url)
            own_hosts.add(host)
            try:
                keys = evaluate(page, STORAGE_KEYS)
            except Exception:  # noqa: S112 - a page that is no web page (a PDF viewer…)
                continue
            for area in (LOCAL_STORAGE, SESSION_STORAGE):
                for key in keys.get(area, []):
                    observation = Observation(area, key, host, self._setter(area, key, host))
                    if observation not in snap.storage:
                        snap.storage.append(observation)
        seen = set()
        for seq, request, frame_url in self._requests:
            host = host_of(request.url)
            if seq <= since or not host or host in own_hosts or host in ignore_hosts:
                continue
            parts = urlsplit(request.url)
            name = f"{parts.scheme}://{parts.netloc}{parts.path}"
            if (name, host) in seen:
                continue
            seen.add((name, host))
            set_by = SetBy("page", frame_url) if frame_url else None
            snap.requests.append(Observation(REQUEST, name, host, set_by))
        return snap
