"""How much consent UI a page loads, how fast the banner shows, whether anything moves.

Starts the consent service and a third-party page (examples/static-site) on other
ports, loads the page in headless Chromium and prints, for a first visit and a
returning one: each consent-UI response (raw and gzip bytes), the request count, the
time from navigation to a visible banner and from consent.js to a visible banner,
and the cumulative layout shift. Requests are counted by the server itself, so cache
hits are not requests. Runs without throttling and with a 100 ms round trip. Then
the first visit's bytes under Global Privacy Control (consent.js then carries the
banner that says so) and on the service's own pages (banner in the HTML).

    python3 dev.py bench snippet    (or .venv/bin/python bench/snippet.py --runs 5)
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from consent_ui import create_app  # noqa: E402
from consent_ui.views.embed import BUDGET  # noqa: E402
from examples.harness import CHROMIUM_ARGS, chromium_executable, free_port, serve  # noqa: E402
from examples.static_site import make_app as example_site  # noqa: E402

INLINE_PAGES = ("/?lang=en", "/?lang=fr", "/ads/studio-bastos?lang=fr", "/cookies?lang=fr")
#: What counts as consent UI (the example's trackers are served by the same host).
UI_PATHS = ("/consent.js", "/consent.css", "/consent-preferences.css", "/consent/", "/api/")

# Installed before any page script: when the snippet starts, when the banner first
# becomes visible, and the layout shifts (none expected: the banner is a fixed overlay
# and placeholders take the exact box of what they stand for).
PROBE = """
window.__bench = { shift: 0 };
// The snippet defines window.consentUI as it starts: note when.
Object.defineProperty(window, 'consentUI', {
  configurable: true,
  set(value) {
    window.__bench.start = performance.now();
    Object.defineProperty(window, 'consentUI', { value, writable: true, configurable: true });
  },
});
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (!e.hadRecentInput) window.__bench.shift += e.value;
}).observe({ type: 'layout-shift', buffered: true });
// The first moment the banner is in the page, not hidden, and styled (a fixed box).
new MutationObserver((_, observer) => {
  const b = document.querySelector('[data-consent-banner]');
  if (b && !b.hidden && getComputedStyle(b).position === 'fixed' && b.offsetHeight) {
    window.__bench.banner = performance.now();
    observer.disconnect();
  }
}).observe(document, { subtree: true, childList: true, attributes: true });
"""


@dataclass
class Hit:
    path: str
    raw: int
    sent: int


@dataclass
class Recorder:
    """WSGI middleware: every request that reached the consent server, and its size."""

    app: Any
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: dict, start_response: Any) -> Any:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list, exc_info: Any = None) -> Any:
            captured["headers"] = dict(headers)
            return start_response(status, headers, exc_info)

        body = b"".join(self.app(environ, capture))
        headers = captured.get("headers", {})
        raw = gzip.decompress(body) if headers.get("Content-Encoding") == "gzip" else body
        path = environ["PATH_INFO"] + (
            "?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else ""
        )
        with self.lock:
            self.hits.append(Hit(path, len(raw), len(body)))
        return [body]

    def take(self) -> list[Hit]:
        with self.lock:
            hits, self.hits = self.hits, []
        return [h for h in hits if h.path.startswith(UI_PATHS)]


def throttle(page: Page, rtt_ms: int) -> None:
    if rtt_ms:
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": rtt_ms, "downloadThroughput": -1, "uploadThroughput": -1},
        )


def visit(page: Page, url: str) -> dict[str, float]:
    page.goto(url, wait_until="load")
    page.wait_for_function("window.__bench.banner !== undefined", timeout=15000)
    page.wait_for_timeout(300)  # let late layout shifts, if any, be recorded
    return page.evaluate(
        """() => {
          const js = performance.getEntriesByType('resource')
            .find((e) => e.name.includes('/consent.js'));
          return { banner: window.__bench.banner, shift: window.__bench.shift,
                   script: js.responseEnd, start: window.__bench.start };
        }"""
    )


def first_visits(browser: Any, url: str, recorder: Recorder, runs: int, rtt_ms: int) -> dict:
    timings, hits = [], []
    for _ in range(runs):
        context = browser.new_context(locale="en-GB")
        context.add_init_script(PROBE)
        page = context.new_page()
        throttle(page, rtt_ms)
        recorder.take()
        timings.append(visit(page, url))
        hits = recorder.take()
        context.close()
    return {"timings": timings, "hits": hits}


def returning_visit(browser: Any, url: str, recorder: Recorder) -> dict:
    """Accept all, then come back: which consent-UI requests happen before the trackers?"""
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.goto(url)
    page.locator('[data-consent-banner] [data-consent-action="accept-all"]').click()
    page.wait_for_function("window.demoTrackerRuns && window.demoTrackerRuns.marketing === 1")
    page.goto("about:blank")
    recorder.take()
    order: list[str] = []
    page.on("request", lambda r: order.append(r.url))
    page.goto(url)
    page.wait_for_function("window.demoTrackerRuns && window.demoTrackerRuns.marketing === 1")
    page.wait_for_timeout(500)  # the background check happens after the trackers
    hits = recorder.take()
    first_tracker = next((i for i, u in enumerate(order) if u.endswith("/tracker.js")), None)
    before = [u for u in order[:first_tracker] if "/api/" in u or "/consent/banner" in u]
    context.close()
    return {
        "hits": hits,
        "ui_requests_before_trackers": before,
        "banner_fetched": any("/consent/banner" in h.path for h in hits),
    }


def inline_banner_bytes(app: Any, paths: tuple[str, ...]) -> list[tuple[str, int, int]]:
    """What the banner adds to the service's own pages, where it is part of the HTML:
    gzip of the page with the banner minus gzip of the same page after a choice."""
    rows = []
    for path in paths:
        client = app.test_client()
        shown = client.get(path).data
        client.post("/api/consent", json={"action": "reject_all"})
        hidden = client.get(path).data
        rows.append((path, len(shown) - len(hidden), _gz(shown) - _gz(hidden)))
    return rows


def sent(app: Any, path: str, **headers: str) -> int:
    response = app.test_client().get(path, headers={"Accept-Encoding": "gzip", **headers})
    assert response.status_code == 200, path
    return len(response.data)


def gpc_total(app: Any) -> int:
    """A first visit under Global Privacy Control (Sec-GPC: 1): the consent.js that
    carries the banner with its notice."""
    total = sent(app, "/consent.js", **{"Sec-GPC": "1"})
    print(f"\nFirst visit under Global Privacy Control: consent.js {total} B gzip (one request)")
    return total


def own_pages_total(app: Any, inline: list[tuple[str, int, int]]) -> int:
    """A first visit of the service's own pages: the script for pages that render the
    banner, the banner's stylesheet and the banner in the HTML."""
    js, css = sent(app, "/consent.js?ui=page"), sent(app, "/consent.css")
    total = js + css + max(packed for _, _, packed in inline)
    print(
        f"  first visit: consent.js?ui=page {js} + consent.css {css} + banner "
        f"{max(packed for _, _, packed in inline)} = {total} B gzip"
    )
    return total


def _gz(data: bytes) -> int:
    return len(gzip.compress(data, 9))


def ms(values: list[float]) -> str:
    return f"{statistics.median(values):7.1f} ms (median of {len(values)}, max {max(values):.1f})"


def report(name: str, result: dict) -> int:
    print(f"\n{name}")
    total_raw = total_sent = 0
    for hit in result["hits"]:
        print(f"  GET {hit.path:48} raw {hit.raw:6} B   gzip {hit.sent:5} B")
        total_raw += hit.raw
        total_sent += hit.sent
    print(f"  {'total':52} raw {total_raw:6} B   gzip {total_sent:5} B   (budget {BUDGET} B)")
    print(f"  requests to the consent server:   {len(result['hits'])}")
    t = result["timings"]
    print(f"  navigation → banner visible:     {ms([x['banner'] for x in t])}")
    print(f"  consent.js loaded → banner:      {ms([x['banner'] - x['script'] for x in t])}")
    print(f"  snippet started → banner:        {ms([x['banner'] - x['start'] for x in t])}")
    print(f"  cumulative layout shift:          {max(x['shift'] for x in t):.4f} (worst run)")
    return total_sent


def main() -> int:
    parser = argparse.ArgumentParser(description="consent-ui snippet benchmark")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    site_port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "CONSENT_SECRET_KEY": "bench-signing-key-of-32-characters",
                "CONSENT_DATABASE": str(Path(tmp) / "bench.db"),
                "CONSENT_ALLOWED_ORIGINS": f"http://localhost:{site_port}",
            }
        )
        recorder = Recorder(app.wsgi_app)
        app.wsgi_app = recorder  # type: ignore[method-assign]
        consent = serve(app)
        site = serve(example_site(consent.url), site_port)
        page_url = f"http://localhost:{site_port}/"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=chromium_executable(p), args=CHROMIUM_ARGS
                )
                print(f"consent-ui snippet benchmark — Chromium {browser.version}")
                print(f"page: {page_url} (another site), consent server: {consent.url}")
                totals = []
                for rtt in (0, 100):
                    label = "no throttling" if not rtt else f"{rtt} ms round trip"
                    result = first_visits(browser, page_url, recorder, args.runs, rtt)
                    totals.append(report(f"First visit, {label}:", result))
                totals.append(gpc_total(app))
                back = returning_visit(browser, page_url, recorder)
                print("\nReturning visit (accepted all, then a new navigation):")
                for hit in back["hits"]:
                    print(f"  GET {hit.path:48} gzip {hit.sent:5} B")
                print(
                    "  consent-UI requests before the trackers ran: "
                    f"{len(back['ui_requests_before_trackers'])}"
                )
                print(f"  banner fetched: {'yes' if back['banner_fetched'] else 'no'}")
                print("\nBanner inline on the service's own pages (what it adds to the page):")
                inline = inline_banner_bytes(app, INLINE_PAGES)
                for path, raw, packed in inline:
                    print(f"  {path:30} raw {raw:6} B   gzip {packed:5} B")
                totals.append(own_pages_total(app, inline))
                browser.close()
        finally:
            site.stop()
            consent.stop()
    if max(totals) > BUDGET:
        print(f"\nOVER BUDGET: {max(totals)} B > {BUDGET} B")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
