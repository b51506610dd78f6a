"""One small, driver-neutral way to drive a browser tab, so that the snippet's flows are
written once and run with the same assertions in Chromium, Firefox and WebKit.

Chromium and Firefox are driven by Playwright (Firefox ESR over WebDriver BiDi, the
``moz-firefox`` channel), WebKit by Selenium's WebKitGTK driver: Playwright can drive
neither Debian's WebKitGTK nor any WebKit but its own patched build. Only what both
drivers do the same way is here: load, run JavaScript (a returned promise is awaited),
click, press keys, read cookies. Everything else the flows read from the page itself.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

#: Keys by their Playwright names; Selenium gets the same presses.
KEYS = {"Tab": Keys.TAB, "Escape": Keys.ESCAPE, "Enter": Keys.ENTER, "Space": Keys.SPACE}


class Tab(Protocol):
    engine: str

    def goto(self, url: str) -> None: ...
    def js(self, expression: str) -> Any: ...
    def click(self, selector: str) -> None: ...
    def press(self, key: str) -> None: ...
    def cookies(self) -> dict[str, str]: ...
    def add_cookie(self, name: str, value: str, url: str) -> None: ...


class PlaywrightTab:
    def __init__(self, engine: str, page: Page) -> None:
        self.engine = engine
        self.page = page

    def goto(self, url: str) -> None:
        self.page.goto(url)

    def js(self, expression: str) -> Any:
        return self.page.evaluate(f"async () => ({expression})")

    def click(self, selector: str) -> None:
        self.page.locator(selector).first.click()

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)

    def cookies(self) -> dict[str, str]:
        return {c["name"]: c["value"] for c in self.page.context.cookies(self.page.url)}

    def add_cookie(self, name: str, value: str, url: str) -> None:
        self.page.context.add_cookies([{"name": name, "value": value, "url": url}])


class SeleniumTab:
    def __init__(self, engine: str, driver: WebDriver) -> None:
        self.engine = engine
        self.driver = driver

    def goto(self, url: str) -> None:
        self.driver.get(url)

    def js(self, expression: str) -> Any:
        # WebDriver's Execute Script awaits a returned promise, as Playwright does.
        return self.driver.execute_script(f"return (async () => ({expression}))()")

    def click(self, selector: str) -> None:
        self.driver.find_element(By.CSS_SELECTOR, selector).click()

    def press(self, key: str) -> None:
        chain = ActionChains(self.driver)
        *modifiers, name = key.split("+")
        for modifier in modifiers:
            chain.key_down(getattr(Keys, modifier.upper()))
        chain.send_keys(KEYS[name])
        for modifier in modifiers:
            chain.key_up(getattr(Keys, modifier.upper()))
        chain.perform()

    def cookies(self) -> dict[str, str]:
        return {c["name"]: c["value"] for c in self.driver.get_cookies()}

    def add_cookie(self, name: str, value: str, url: str) -> None:
        # WebDriver sets cookies on the document's own host: go there first.
        if not self.driver.current_url.startswith(url):
            self.driver.get(url + "/t/blank.html")
        self.driver.add_cookie({"name": name, "value": value, "path": "/"})


def wait_for(tab: Tab, expression: str, timeout: float = 10.0) -> Any:
    """Poll ``expression`` in the page until it is truthy (every driver, any CSP)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = tab.js(expression)
        except (PlaywrightError, WebDriverException):  # the page is being replaced: ask again
            value = None
        if value or time.monotonic() > deadline:
            assert value, f"{tab.engine}: timed out waiting for {expression}"
            return value
        time.sleep(0.05)
