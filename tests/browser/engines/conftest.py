"""Three real engines for the snippet's flows: Chromium and Firefox ESR through
Playwright, WebKitGTK through Selenium (see /work/shared/notes/browsers.md for why).

Each test gets a fresh browsing state: a new Playwright context, or a new WebKit
session. An engine that is not installed or does not start fails every test that
needs it, with a message saying which and how to install it: never a quiet skip.
WebKitGTK has no headless mode, so a private Xvfb (its own display, picked by Xvfb
itself, safe beside other test processes) is started for it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as Timeout

import pytest
from playwright.sync_api import Browser, Playwright
from selenium import webdriver
from selenium.webdriver.webkitgtk.service import Service

from tests.browser.engines.tabs import PlaywrightTab, SeleniumTab, Tab

ENGINES = ("chromium", "firefox", "webkit")
INSTALL = "run `python3 dev.py test` as root on Debian/Ubuntu (it installs it with apt-get)"
#: How long a browser may take to start on a busy 2-core machine.
START_TIMEOUT = 90


def engine_missing(what: str) -> None:
    pytest.fail(f"ENGINE NOT AVAILABLE: {what}", pytrace=False)


@pytest.fixture(scope="session")
def firefox(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Firefox ESR, over WebDriver BiDi (Playwright's ``moz-firefox`` channel)."""
    path = shutil.which("firefox-esr") or shutil.which("firefox")
    if path is None:
        engine_missing(f"no firefox-esr for the Firefox tests: {INSTALL} (package firefox-esr)")
    try:
        browser = playwright.firefox.launch(
            channel="moz-firefox",
            executable_path=path,
            headless=True,
            timeout=START_TIMEOUT * 1000,
        )
    except Exception as e:
        engine_missing(f"{path} did not start under Playwright's moz-firefox channel: {e}")
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def display() -> Iterator[str]:
    """A private X display for WebKitGTK."""
    if shutil.which("Xvfb") is None:
        engine_missing(f"no Xvfb for the WebKit tests: {INSTALL} (package xvfb)")
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=[write],
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    number = b""
    with os.fdopen(read, "rb") as pipe:
        while not number.endswith(b"\n"):
            chunk = pipe.read(1)
            if not chunk:
                xvfb.kill()
                engine_missing("Xvfb exited before it opened a display")
            number += chunk
    yield f":{number.decode().strip()}"
    xvfb.terminate()
    xvfb.wait()


def webkit_session(display: str) -> webdriver.WebKitGTK:
    """A new WebKitGTK session (MiniBrowser), given up on after START_TIMEOUT: without
    a display, or with a broken driver, creating one hangs for ever."""
    path = shutil.which("WebKitWebDriver")
    if path is None:
        engine_missing(f"no WebKitWebDriver for the WebKit tests: {INSTALL} (webkit2gtk-driver)")
    service = Service(executable_path=path, env={**os.environ, "DISPLAY": display})
    with ThreadPoolExecutor(max_workers=1) as pool:
        started = pool.submit(webdriver.WebKitGTK, service=service)
        try:
            return started.result(timeout=START_TIMEOUT)
        except Timeout:
            service.stop()
            engine_missing(f"WebKitGTK did not start a session in {START_TIMEOUT} s")
        except Exception as e:
            service.stop()
            engine_missing(f"WebKitGTK did not start a session: {e}")
    raise AssertionError("unreachable")


@pytest.fixture(params=ENGINES)
def tab(request: pytest.FixtureRequest) -> Iterator[Tab]:
    """A fresh tab in each engine; any error the page reported fails the test."""
    engine = request.param
    if engine == "webkit":
        driver = webkit_session(request.getfixturevalue("display"))
        tab: Tab = SeleniumTab(engine, driver)
        close = driver.quit
    else:
        browser: Browser = request.getfixturevalue("browser" if engine == "chromium" else "firefox")
        context = browser.new_context()
        tab = PlaywrightTab(engine, context.new_page())
        close = context.close
    try:
        yield tab
        errors = tab.js("window.errors || []")
        assert errors == [], f"{engine}: errors on the page: {errors}"
    finally:
        close()
