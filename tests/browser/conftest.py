"""Browser fixtures: real servers on free ports, a real Chromium through Playwright.

The consent server runs the real app (werkzeug, threaded) on 127.0.0.1. Other pages
come from a second server on another port: ``site.same_site`` is that server as
http://127.0.0.1:<port> (another origin, same site) and ``site.cross_site`` as
http://localhost:<port> (another site). Playwright's own Chromium is used where it is
installed, the system's otherwise.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Request, Response

from consent_ui import create_app
from consent_ui.extension import ConsentUI
from examples.harness import CHROMIUM_ARGS, LiveServer, chromium_executable, free_port, serve
from examples.static_site import make_app as example_site

PAGES = Path(__file__).resolve().parent / "pages"
SECRET = "browser-test-secret-of-32-characters"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@dataclass
class Site:
    """The server of pages that consent-ui does not render."""

    port: int

    @property
    def same_site(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def cross_site(self) -> str:
        return f"http://localhost:{self.port}"


def test_pages(consent_origin: str) -> Callable:
    """tests/browser/pages/*.html under /t/, with a fresh CSP nonce in ``__NONCE__``
    and ``__CONSENT__`` replaced by the consent server's origin. A page whose name
    starts with ``csp`` is served with a strict nonce-based Content-Security-Policy."""

    def app(environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        path = (PAGES / request.path.strip("/")).resolve()
        if PAGES not in path.parents or not path.is_file():
            return Response("not found", status=404)(environ, start_response)
        nonce = secrets.token_urlsafe(12)
        body = path.read_text().replace("__CONSENT__", consent_origin).replace("__NONCE__", nonce)
        response = Response(body, mimetype="text/html" if path.suffix == ".html" else None)
        response.headers["Cache-Control"] = "no-store"
        if path.name.startswith("csp"):
            response.headers["Content-Security-Policy"] = (
                f"default-src 'self'; script-src 'nonce-{nonce}' {consent_origin}; "
                f"style-src 'self' {consent_origin}; connect-src {consent_origin}; "
                f"frame-src {consent_origin}; img-src 'self' {consent_origin}"
            )
        return response(environ, start_response)

    return app


@pytest.fixture(scope="session")
def site_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def consent_config(tmp_path_factory: pytest.TempPathFactory, site_port: int) -> dict[str, Any]:
    db = tmp_path_factory.mktemp("consent") / "consent.db"
    return {
        "CONSENT_SECRET_KEY": SECRET,
        "CONSENT_DATABASE": str(db),
        "CONSENT_ALLOWED_ORIGINS": f"http://127.0.0.1:{site_port},http://localhost:{site_port}",
    }


@pytest.fixture(scope="session")
def consent_server(consent_config: dict[str, Any]) -> Iterator[LiveServer]:
    """The consent service with its demo, shared by the session's tests."""
    for key in [k for k in os.environ if k.startswith("CONSENT_")]:
        del os.environ[key]
    live = serve(create_app(consent_config))
    yield live
    live.stop()


@pytest.fixture
def make_consent_server(tmp_path: Path, site_port: int) -> Iterator[Callable[..., LiveServer]]:
    """Another consent server with its own configuration (rotation, revisions, …)."""
    started: list[LiveServer] = []

    def make(**config: Any) -> LiveServer:
        live = serve(
            create_app(
                {
                    "CONSENT_SECRET_KEY": SECRET,
                    "CONSENT_DATABASE": str(tmp_path / f"consent-{len(started)}.db"),
                    "CONSENT_ALLOWED_ORIGINS": (
                        f"http://127.0.0.1:{site_port},http://localhost:{site_port}"
                    ),
                    **config,
                }
            )
        )
        started.append(live)
        return live

    yield make
    for live in started:
        live.stop()


@pytest.fixture(scope="session")
def site(consent_server: LiveServer, site_port: int) -> Iterator[Site]:
    """examples/static-site at /, the test pages at /t/, on another port."""
    app = DispatcherMiddleware(
        example_site(consent_server.url), {"/t": test_pages(consent_server.url)}
    )
    live = serve(app, site_port)
    yield Site(site_port)
    live.stop()


def store_of(live: LiveServer):
    """The consent log behind a live consent server."""
    app: Flask = live.app
    return ConsentUI.state(app).store


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    try:
        executable = chromium_executable(playwright)
    except RuntimeError as e:
        pytest.exit(str(e), returncode=3)
    browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="en-GB")
    yield context
    context.close()


@pytest.fixture(params=("same_site", "cross_site"))
def origin(request: pytest.FixtureRequest, site: Site) -> str:
    """The example site as another origin of the same site, then as another site."""
    return getattr(site, request.param)


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    assert not errors, f"JavaScript errors on the page: {errors}"


class ConsentPage:
    """Page object for the consent UI, as a QA suite would use it."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def banner(self):
        return self.page.locator("[data-consent-banner]")

    def dialog(self):
        return self.page.locator("[data-consent-preferences]")

    def action(self, name: str, within: str = "[data-consent-banner]"):
        return self.page.locator(f'{within} [data-consent-action="{name}"]')

    def choose(self, name: str, within: str = "[data-consent-banner]") -> None:
        with self.page.expect_response(lambda r: "/api/consent" in r.url or "/consent" in r.url):
            self.action(name, within).click()

    def open_preferences(self) -> None:
        self.page.locator("[data-consent-open]").first.click()
        self.dialog().wait_for(state="visible")

    def checkbox(self, key: str):
        return self.page.locator(f'input[name="category"][value="{key}"]')

    def runs(self) -> dict[str, int]:
        """How many times each demo tracker ran (examples and demo use the same tracker)."""
        return self.page.evaluate("window.demoTrackerRuns || {}")

    def wait_for(self, expression: str, timeout: float = 5.0) -> Any:
        """Poll ``expression`` until truthy. Unlike ``page.wait_for_function``, this
        works on pages whose Content-Security-Policy forbids eval (the demo's does)."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.page.evaluate(expression)
            if value or time.monotonic() > deadline:
                assert value, f"timed out waiting for {expression}"
                return value
            self.page.wait_for_timeout(50)

    def cookie_names(self) -> set[str]:
        return {c["name"] for c in self.page.context.cookies()}

    def state(self) -> Any:
        return self.page.evaluate("window.consentUI.get()")

    def record_changes(self) -> None:
        """Before navigating: keep a JSON copy of every ``consentui:change`` detail in
        ``window.consentChanges`` (see ``changes()``)."""
        self.page.add_init_script(
            "window.consentChanges = [];"
            "document.addEventListener('consentui:change', (e) =>"
            " window.consentChanges.push(JSON.parse(JSON.stringify(e.detail))));"
        )

    def changes(self) -> list[Any]:
        return self.page.evaluate("window.consentChanges")

    def requests_to(self, origin: str) -> list[str]:
        """From now on, each request of the page to ``origin`` as "METHOD /path?query",
        in the order the page made them (the returned list fills as it goes)."""
        seen: list[str] = []

        def note(request: Any) -> None:
            if request.url.startswith(origin + "/"):
                seen.append(f"{request.method} {request.url[len(origin) :]}")

        self.page.on("request", note)
        return seen

    def preset_consent(self, live: LiveServer, granted: list[str], url: str) -> str:
        """A returning visitor: a consent cookie for ``url``'s host holding a token
        signed by ``live`` (required categories added; nothing logged). Returns it."""
        from consent_ui.consent import new_consent_id

        state = ConsentUI.state(live.app)
        granted = [*state.policy.required_keys, *granted]
        token, _ = state.signer.sign(new_consent_id(), granted, state.policy)
        cookie = {"name": state.settings.cookie_name, "value": token, "url": url}
        self.page.context.add_cookies([cookie])
        return token

    def decide(self, name: str, within: str = "[data-consent-banner]") -> None:
        """Click a choice and wait until the snippet has applied the server's answer
        (its ``consentui:change``; needs ``record_changes()`` before the page loaded)."""
        done = len(self.changes()) + 1
        self.action(name, within).click()
        self.wait_for(f"window.consentChanges.length >= {done}")

    def wait_for_runs(self, *categories: str) -> None:
        """Until each demo tracker of ``categories`` has run."""
        runs = " && ".join(f"window.demoTrackerRuns.{c}" for c in categories)
        self.wait_for(f"window.demoTrackerRuns && {runs}")


@pytest.fixture
def ui(page: Page) -> ConsentPage:
    return ConsentPage(page)


@pytest.fixture
def new_ui(browser: Browser) -> Iterator[Callable[..., ConsentPage]]:
    """A page in a fresh context of its own (locale, viewport, colour scheme…); any
    JavaScript error on it fails the test, as with the ``page`` fixture."""
    contexts = []
    errors: list[str] = []

    def make(**options: Any) -> ConsentPage:
        context = browser.new_context(**{"locale": "en-GB", **options})
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        return ConsentPage(page)

    yield make
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
