"""The consent server a QA suite tests against, and genuine consent presets from it.

Either the real service started on a free port (a temporary database, a generated
key, the suite's policy), or a running deployment (``--consent-server``, a staging
server). A preset is a real choice: ``POST /api/consent`` on that server, marked with
the QA kit's User-Agent so that the dashboard leaves it out of the figures, whose
signed token goes into the browser context as the consent cookie, on the server's
host and on the page's. The server verifies it for its current revision like any
visitor's, so presets never go stale when the policy changes.
"""

from __future__ import annotations

import json
import secrets
import tempfile
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date, timedelta
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .. import remote
from ..agents import QA, user_agent
from ..errors import PolicyError
from ..policy import Policy

#: "all" = accept all; a list of optional keys = exactly those ([] = reject all).
ALL = "all"


class ConsentServerError(Exception):
    """The consent server cannot be started or reached, or refused a preset."""


@dataclass(frozen=True)
class Preset:
    """A choice the server recorded: its consent id and the signed token."""

    consent_id: str
    token: str
    categories: tuple[str, ...]


class ConsentServer:
    """A consent-ui service: ``url``, its ``policy``, and its log when started here."""

    def __init__(self, url: str, policy: Policy, app: Any = None, stop: Any = None) -> None:
        self.url = url.rstrip("/")
        self.policy = policy
        self._app = app
        self._stop = stop
        self.cookie_name = _settings(app).cookie_name if app else "consent"
        self.cookie_domain = _settings(app).cookie_domain if app else None

    @property
    def started(self) -> bool:
        """Whether the plugin started it (its log is then readable)."""
        return self._app is not None

    @classmethod
    def start(
        cls, *, policy_file: str | None = None, allowed_origins: list[str] | tuple[str, ...] = ()
    ) -> ConsentServer:
        """The real service on a free port of 127.0.0.1, from a daemon thread."""
        from werkzeug.serving import make_server

        from ..errors import ConsentUIError
        from ..extension import ConsentUI
        from ..factory import create_app

        folder = Path(tempfile.mkdtemp(prefix="consent-ui-qa-"))
        config = {
            "CONSENT_SECRET_KEY": secrets.token_urlsafe(48),
            "CONSENT_DATABASE": str(folder / "consent.db"),
            "CONSENT_POLICY": policy_file or "",
            "CONSENT_ALLOWED_ORIGINS": ",".join(allowed_origins),
        }
        try:
            app = create_app(config)
        except ConsentUIError as e:
            raise ConsentServerError(f"the consent server cannot start: {e}") from None
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()

        def stop() -> None:
            server.shutdown()
            server.server_close()
            ConsentUI.state(app).store.close()

        url = f"http://127.0.0.1:{server.server_port}"
        return cls(url, ConsentUI.state(app).policy, app, stop)

    @classmethod
    def remote(cls, url: str) -> ConsentServer:
        """A running deployment, known by its ``/api/policy``."""
        url = url.rstrip("/")
        try:
            return cls(url, remote.fetch_policy(url, QA))
        except (remote.Unreachable, PolicyError) as e:
            raise ConsentServerError(f"--consent-server {url}: {e}") from None

    def stop(self) -> None:
        if self._stop:
            self._stop()

    def records(self, consent_id: str | None = None) -> list[dict[str, Any]]:
        """The log's rows as dicts (oldest first), or those of one consent id; only for
        a server the plugin started (a staging log is not the suite's to read)."""
        if self._app is None:
            raise ConsentServerError(
                f"records() reads the log of a server the plugin started; {self.url} "
                "(--consent-server) is not one"
            )
        from ..extension import ConsentUI

        store = ConsentUI.state(self._app).store
        tomorrow = date.today() + timedelta(days=1)
        rows = store.export(date(2000, 1, 1), tomorrow)
        return [r for r in rows if consent_id is None or r["consent_id"] == consent_id]

    def choose(self, categories: str | list[str] | tuple[str, ...]) -> Preset:
        """Record a choice as the QA kit (``"all"``, or the optional keys granted)."""
        if categories == ALL:
            body: dict[str, Any] = {"action": "accept_all"}
        else:
            keys = [categories] if isinstance(categories, str) else list(categories)
            unknown = [k for k in keys if k not in self.policy.keys]
            if unknown:
                raise ValueError(
                    f"no category {unknown[0]!r} in the policy of {self.url} "
                    f"(its keys: {', '.join(self.policy.keys)})"
                )
            optional = [k for k in keys if k in self.policy.optional_keys]
            body = {"action": "reject_all"}
            if optional:
                body = {"action": "custom", "categories": optional}
        body.update(surface="api", page="/", lang="en")
        request = urllib.request.Request(  # noqa: S310 - the server's http(s) URL
            self.url + "/api/consent",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": qa_agent("Python-urllib")},
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 - http(s)
                answer = json.loads(response.read())
                set_cookies = response.headers.get_all("Set-Cookie") or []
        except urllib.error.HTTPError as e:
            said = e.read()[:200].decode("utf-8", "replace")
            raise ConsentServerError(
                f"{self.url} refused the preset: HTTP {e.code} {said}"
            ) from None
        except (OSError, ValueError) as e:
            raise ConsentServerError(f"cannot reach the consent server {self.url}: {e}") from None
        self._learn_cookie(set_cookies, answer["token"])
        return Preset(answer["id"], answer["token"], tuple(answer["categories"]))

    def _learn_cookie(self, set_cookies: list[str], token: str) -> None:
        """The consent cookie's name and domain, as the server sets them."""
        for raw in set_cookies:
            jar = SimpleCookie()
            try:
                jar.load(raw)
            except CookieError:
                continue
            for morsel in jar.values():
                if morsel.value == token:
                    self.cookie_name = morsel.key
                    self.cookie_domain = morsel["domain"] or None

    def cookies_for(self, token: str, url: str | None = None) -> list[dict[str, Any]]:
        """The consent cookie for Playwright's ``add_cookies``: on the server's host (or
        its ``CONSENT_COOKIE_DOMAIN``), and on ``url``'s host, where the snippet keeps
        it on a page of another site."""

        def cookie(where: str) -> dict[str, Any]:
            secure = urlsplit(where).scheme == "https"
            return {
                "name": self.cookie_name,
                "value": token,
                "url": where,
                "sameSite": "Lax",
                "secure": secure,
            }

        cookies = []
        if self.cookie_domain:
            secure = urlsplit(self.url).scheme == "https"
            cookies.append(
                {
                    "name": self.cookie_name,
                    "value": token,
                    "domain": self.cookie_domain,
                    "path": "/",
                    "sameSite": "Lax",
                    "secure": secure,
                }
            )
        else:
            cookies.append(cookie(self.url + "/"))
        if url and urlsplit(url).hostname != urlsplit(self.url).hostname:
            parts = urlsplit(url)
            cookies.append(cookie(f"{parts.scheme}://{parts.netloc}/"))
        return cookies


def qa_agent(base: str) -> str:
    return user_agent(QA, base)


def _settings(app: Any) -> Any:
    from ..extension import ConsentUI

    return ConsentUI.state(app).settings
