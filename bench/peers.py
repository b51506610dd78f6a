"""consent-ui beside four open-source consent managers, on the same article page.

vanilla-cookieconsent 3.1.0, Orejime 3.2.1, Klaro 0.7.22 and tarteaucitron 1.34.0
come from npm at those versions (bench/peers/package-lock.json), installed by
``npm ci`` into a cache folder outside the repository, and are served self-hosted from
the page's own origin, gzip-compressed like consent-ui's files. Each one is configured
with the same four categories (the policy file's), the same English texts and the same
three gated trackers, following its own README. consent-ui runs twice: with the consent
server on another origin (the one-tag install) and mounted under /consent-ui on the
page's origin. A page without any consent manager gives the baselines.

Every run is a fresh browser context (nothing cached, new connections); runs are
interleaved (run 1 of every set-up, then run 2, …, in a rotating order) so that a busy
machine slows them all alike. Two network profiles: none, and Lighthouse's mobile one
(150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up) through DevTools'
``Network.emulateNetworkConditions``, which applies the same way to every server: it
delays each request by the round trip, but charges nothing for opening a connection.
Per set-up, medians of: time from navigation to a visible, styled banner; gzip bytes of
the consent manager (its responses as sent, plus what it adds to the page); its
requests; cumulative layout shift; and the JS heap it adds (after a garbage
collection, against the page without one).

    python3 dev.py bench peers            (or .venv/bin/python bench/peers.py --runs 9)
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import zopfli.gzip  # noqa: E402
from playwright.sync_api import Browser, sync_playwright  # noqa: E402
from werkzeug.middleware.dispatcher import DispatcherMiddleware  # noqa: E402
from werkzeug.wrappers import Request, Response  # noqa: E402

from consent_ui import create_app  # noqa: E402
from consent_ui.policy import load_policy  # noqa: E402
from examples.harness import CHROMIUM_ARGS, chromium_executable, free_port, serve  # noqa: E402

HERE = Path(__file__).resolve().parent / "peers"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "consent-ui" / "peers"
MOUNT = "/consent-ui"
MBIT = 1_000_000 / 8  # bytes per second
PROFILES: dict[str, dict[str, Any] | None] = {
    "no throttling": None,
    "mobile (150 ms RTT, 1.6 Mbit/s down, 750 kbit/s up)": {
        "offline": False,
        "latency": 150,
        "downloadThroughput": 1.6 * MBIT,
        "uploadThroughput": 0.75 * MBIT,
    },
}
VIEWPORTS = {"no throttling": (1280, 800), "mobile": (412, 823)}

POLICY = load_policy()
OPTIONAL = [c for c in POLICY.categories if not c.required]
ESSENTIAL = next(c for c in POLICY.categories if c.required)
#: The same words in every banner (consent-ui's own, in English).
TEXTS = {
    "title": "Cookies and your privacy",
    "description": "We use cookies that are essential for the site to work. With your consent, "
    "we and our partners also use cookies and similar technologies for statistics, "
    "personalisation and marketing.",
    "accept": "Accept all",
    "reject": "Reject all",
    "customise": "Customise",
    "save": "Save my choices",
    "preferences": "Cookie management",
    "policy": "Cookie policy",
}

# When the banner first is in the page, visible (not transparent, not hidden), styled
# (positioned by its stylesheet) and on screen; and every layout shift. Checked on
# every DOM change and every frame, so that a stylesheet arriving late counts.
PROBE = """
(() => {
  const selector = %s;
  const bench = window.__bench = { shift: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) bench.shift += e.value;
  }).observe({ type: 'layout-shift', buffered: true });
  if (!selector) return;
  const shown = () => {
    const e = document.querySelector(selector);
    if (!e) return false;
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.top < innerHeight && r.bottom > 0 &&
      e.checkVisibility({ opacityProperty: true, visibilityProperty: true }) &&
      getComputedStyle(e).position != 'static';
  };
  const check = () => {
    if (bench.banner === undefined && shown()) bench.banner = performance.now();
    return bench.banner !== undefined;
  };
  const frame = () => check() || requestAnimationFrame(frame);
  requestAnimationFrame(frame);
  new MutationObserver((_, o) => check() && o.disconnect())
    .observe(document, { subtree: true, childList: true, attributes: true });
})();
"""

TRACKER = b"window.benchRuns = (window.benchRuns || 0) + 1;"


# ---- the peers, from npm ----


def install_peers() -> Path:
    """node_modules of bench/peers' lock file, in the cache folder (npm ci, once per
    version of the lock file)."""
    if shutil.which("npm") is None:
        sys.exit("bench/peers.py: npm is needed to install the other consent managers")
    lock = (HERE / "package-lock.json").read_bytes()
    stamp = CACHE / ".installed"
    wanted = hashlib.sha256(lock).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return CACHE / "node_modules"
    CACHE.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(HERE / name, CACHE / name)
    print(f"installing the peers from npm into {CACHE}", file=sys.stderr)
    subprocess.run(
        ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--legacy-peer-deps"],
        cwd=CACHE,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    stamp.write_text(wanted)
    return CACHE / "node_modules"


def version(modules: Path, package: str) -> str:
    return json.loads((modules / package / "package.json").read_text())["version"]


# ---- the set-ups: what each adds to the article ----


@dataclass
class Setup:
    name: str
    #: The banner's element, as each one's own markup names it.
    banner: str | None
    head: str
    body: str
    #: Which requests are its own (a path prefix, or the consent server's origin).
    owns: Callable[[str, str], bool]
    footer: str = ""


def js(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def consent_ui(name: str, src: str, owns: Callable[[str, str], bool]) -> Setup:
    gated = "".join(
        f'<script type="text/plain" data-consent="{c.key}" src="/tracker.js?c={c.key}"></script>'
        for c in OPTIONAL
    )
    return Setup(
        name=name,
        banner="[data-consent-banner]",
        head=f'<script src="{src}/consent.js" defer></script>',
        body=gated,
        owns=owns,
        footer=f'<a href="{src}/preferences" data-consent-open>{TEXTS["preferences"]}</a>',
    )


def cookieconsent() -> Setup:
    base = "/peers/vanilla-cookieconsent/dist"
    sections = [
        {"title": c.label("en"), "description": c.description("en"), "linkedCategory": c.key}
        for c in POLICY.categories
    ]
    config = {
        # Else it hides itself from any browser driven by a tool (navigator.webdriver).
        "hideFromBots": False,
        "categories": {
            ESSENTIAL.key: {"enabled": True, "readOnly": True},
            **{c.key: {} for c in OPTIONAL},
        },
        "language": {
            "default": "en",
            "translations": {
                "en": {
                    "consentModal": {
                        "title": TEXTS["title"],
                        "description": TEXTS["description"],
                        "acceptAllBtn": TEXTS["accept"],
                        "acceptNecessaryBtn": TEXTS["reject"],
                        "showPreferencesBtn": TEXTS["customise"],
                        "footer": f'<a href="/cookies">{TEXTS["policy"]}</a>',
                    },
                    "preferencesModal": {
                        "title": TEXTS["preferences"],
                        "acceptAllBtn": TEXTS["accept"],
                        "acceptNecessaryBtn": TEXTS["reject"],
                        "savePreferencesBtn": TEXTS["save"],
                        "closeIconLabel": "Close",
                        "sections": sections,
                    },
                }
            },
        },
    }
    gated = "".join(
        f'<script type="text/plain" data-category="{c.key}" src="/tracker.js?c={c.key}"></script>'
        for c in OPTIONAL
    )
    return Setup(
        name="vanilla-cookieconsent",
        banner="#cc-main .cm",
        head=f'<link rel="stylesheet" href="{base}/cookieconsent.css">',
        body=f'{gated}<script src="{base}/cookieconsent.umd.js"></script>'
        f"<script>CookieConsent.run({js(config)});</script>",
        owns=lambda origin, path: path.startswith("/peers/vanilla-cookieconsent/"),
        footer=f'<button data-cc="show-preferencesModal">{TEXTS["preferences"]}</button>',
    )


def orejime() -> Setup:
    base = "/peers/orejime/dist"
    config = {
        "privacyPolicyUrl": "/cookies",
        "purposes": [
            {
                "id": c.key,
                "title": c.label("en"),
                "description": c.description("en"),
                "isMandatory": c.required,
                "cookies": [d.name for d in c.cookies],
            }
            for c in POLICY.categories
        ],
        "translations": {
            "banner": {
                "title": TEXTS["title"],
                "description": TEXTS["description"] + " {privacyPolicy}",
                "accept": TEXTS["accept"],
                "decline": TEXTS["reject"],
                "configure": TEXTS["customise"],
            }
        },
    }
    gated = "".join(
        f'<template data-purpose="{c.key}"><script src="/tracker.js?c={c.key}"></script></template>'
        for c in OPTIONAL
    )
    return Setup(
        name="Orejime",
        banner=".orejime-Banner",
        head=f'<link rel="stylesheet" href="{base}/orejime-standard.css">'
        f"<script>window.orejimeConfig = {js(config)};</script>"
        f'<script src="{base}/orejime-standard-en.js" defer></script>',
        body=gated,
        owns=lambda origin, path: path.startswith("/peers/orejime/"),
    )


def klaro() -> Setup:
    config = {
        "privacyPolicy": "/cookies",
        "mustConsent": False,
        "acceptAll": True,
        "hideDeclineAll": False,
        "services": [
            {
                "name": c.key,
                "title": c.label("en"),
                "purposes": [c.key],
                "required": c.required,
                "cookies": [d.name for d in c.cookies],
            }
            for c in POLICY.categories
        ],
        "translations": {
            "en": {
                "consentNotice": {"title": TEXTS["title"], "description": TEXTS["description"]},
                "acceptAll": TEXTS["accept"],
                "decline": TEXTS["reject"],
                "purposes": {
                    c.key: {"title": c.label("en"), "description": c.description("en")}
                    for c in POLICY.categories
                },
            }
        },
    }
    gated = "".join(
        f'<script type="text/plain" data-type="text/javascript" data-name="{c.key}" '
        f'data-src="/tracker.js?c={c.key}"></script>'
        for c in OPTIONAL
    )
    return Setup(
        name="Klaro",
        banner=".klaro .cookie-notice",
        head=f"<script>window.klaroConfig = {js(config)};</script>"
        '<script defer src="/peers/klaro/dist/klaro.js"></script>',
        body=gated,
        owns=lambda origin, path: path.startswith("/peers/klaro/"),
    )


def tarteaucitron() -> Setup:
    services = "".join(
        f"tarteaucitron.services.bench_{c.key} = {{key: 'bench_{c.key}', type: "
        f"{js({'statistics': 'analytic', 'marketing': 'ads'}.get(c.key, 'other'))}, "
        f"name: {js(c.label('en'))}, uri: '/cookies', needConsent: true, "
        f"cookies: {js([d.name for d in c.cookies])}, "
        f"js: function () {{ tarteaucitron.addScript('/tracker.js?c={c.key}'); }}}};"
        f"(tarteaucitron.job = tarteaucitron.job || []).push('bench_{c.key}');"
        for c in OPTIONAL
    )
    init = {
        "privacyUrl": "/cookies",
        "orientation": "bottom",
        "highPrivacy": True,
        "DenyAllCta": True,
        "AcceptAllCta": True,
        "showAlertSmall": False,
        "showIcon": False,
        "cookieslist": False,
        "removeCredit": True,
        "mandatory": True,
        "useExternalCss": False,
        "useExternalJs": False,
    }
    texts = {"alertBigPrivacy": TEXTS["description"], "acceptAll": TEXTS["accept"]}
    return Setup(
        name="tarteaucitron",
        banner="#tarteaucitronAlertBig",
        head='<script src="/peers/tarteaucitronjs/tarteaucitron.min.js"></script>'
        f"<script>window.tarteaucitronCustomText = {js(texts)};"
        f"tarteaucitron.init({js(init)});{services}</script>",
        body="",
        owns=lambda origin, path: path.startswith("/peers/tarteaucitronjs/"),
    )


# ---- the servers ----


@dataclass
class Recorder:
    """WSGI middleware: each response, its origin and path and its bytes as sent."""

    app: Any
    origin: str = ""
    hits: list[tuple[str, str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: dict, start_response: Any) -> Any:
        body = b"".join(self.app(environ, start_response))
        path = environ.get("SCRIPT_NAME", "") + environ["PATH_INFO"]
        with self.lock:
            self.hits.append((self.origin, path, len(body)))
        return [body]

    def take(self) -> list[tuple[str, str, int]]:
        with self.lock:
            hits, self.hits = self.hits, []
        return hits


class Files:
    """The npm packages' files, gzip-compressed once (zopfli, as consent-ui's are)."""

    def __init__(self, modules: Path) -> None:
        self.modules = modules
        self.packed: dict[Path, bytes] = {}

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        path = (self.modules / request.path.lstrip("/")).resolve()
        if self.modules not in path.parents or not path.is_file():
            return Response("not found", status=404)(environ, start_response)
        mimetype = {".js": "text/javascript", ".css": "text/css"}.get(path.suffix, "text/plain")
        response = Response(mimetype=mimetype)
        response.cache_control.max_age = 3600
        if "gzip" in request.accept_encodings:
            if path not in self.packed:
                self.packed[path] = zopfli.gzip.compress(path.read_bytes())
            response.set_data(self.packed[path])
            response.content_encoding = "gzip"
        else:
            response.set_data(path.read_bytes())
        response.vary.add("Accept-Encoding")
        return response(environ, start_response)


def article(setups: dict[str, Setup]) -> Any:
    template = (HERE / "article.html").read_text(encoding="utf-8")

    def app(environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/tracker.js":
            return Response(TRACKER, mimetype="text/javascript")(environ, start_response)
        name = request.path.removeprefix("/article/")
        if name not in setups:
            return Response("not found", status=404)(environ, start_response)
        response = Response(page(template, setups[name]), mimetype="text/html")
        response.headers["Cache-Control"] = "no-store"
        return response(environ, start_response)

    return app


def page(template: str, setup: Setup) -> str:
    return (
        template.replace("{{head}}", setup.head)
        .replace("{{body}}", setup.body)
        .replace("{{footer}}", setup.footer)
    )


def page_bytes(setup: Setup, bare: Setup) -> int:
    """What a set-up adds to the article, gzip (its tags, inline configuration, texts)."""
    template = (HERE / "article.html").read_text(encoding="utf-8")

    def packed(s: Setup) -> int:
        return len(gzip.compress(page(template, s).encode(), 9))

    return packed(setup) - packed(bare)


# ---- measuring ----


def visit(browser: Browser, url: str, setup: Setup, profile: str) -> dict[str, float]:
    conditions = PROFILES[profile]
    width, height = VIEWPORTS["mobile" if conditions else "no throttling"]
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_init_script(PROBE % json.dumps(setup.banner))
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    if conditions:
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", conditions)
    page.goto(url, wait_until="load", timeout=60000)
    if setup.banner:
        page.wait_for_function("window.__bench.banner !== undefined", timeout=30000)
    page.wait_for_timeout(500)  # late layout shifts, if any
    result = page.evaluate("() => ({ banner: window.__bench.banner, shift: window.__bench.shift })")
    cdp.send("HeapProfiler.collectGarbage")
    result["heap"] = cdp.send("Runtime.getHeapUsage")["usedSize"]
    context.close()
    return result


def median(values: list[float]) -> float:
    return statistics.median(values)


def run(args: argparse.Namespace) -> dict[str, Any]:
    modules = install_peers()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        page_port, consent_port = free_port(), free_port()
        page_origin = f"http://127.0.0.1:{page_port}"
        # Another origin and another site (localhost), as a consent service usually is.
        consent_origin = f"http://localhost:{consent_port}"

        def app(name: str) -> Any:
            return create_app(
                {
                    "CONSENT_SECRET_KEY": "bench-peers-signing-key-of-32-characters",
                    "CONSENT_DATABASE": str(Path(tmp) / f"{name}.db"),
                    "CONSENT_ALLOWED_ORIGINS": page_origin,
                }
            )

        setups = {
            "none": Setup("none", None, "", "", lambda o, p: False),
            "consent-ui, another origin": consent_ui(
                "consent-ui, another origin", consent_origin, lambda o, p: o == "consent"
            ),
            "consent-ui, same origin": consent_ui(
                "consent-ui, same origin", MOUNT, lambda o, p: p.startswith(MOUNT + "/")
            ),
            **{s.name: s for s in (cookieconsent(), orejime(), klaro(), tarteaucitron())},
        }
        keys = {name: f"s{i}" for i, name in enumerate(setups)}
        by_key = {keys[name]: setup for name, setup in setups.items()}
        mounts = {MOUNT: app("mounted"), "/peers": Files(modules)}
        page_app = Recorder(DispatcherMiddleware(article(by_key), mounts), "page")
        consent_app = Recorder(app("other"), "consent")
        servers = [serve(page_app, page_port), serve(consent_app, consent_port)]
        results: dict[str, dict[str, dict[str, list[float]]]] = {}
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=chromium_executable(p),
                    args=CHROMIUM_ARGS,
                )
                names = list(setups)
                for profile in PROFILES:
                    results[profile] = {name: {} for name in names}
                    for i in range(args.runs):
                        order = names[i % len(names) :] + names[: i % len(names)]
                        for name in order:
                            setup = setups[name]
                            page_app.take(), consent_app.take()
                            url = f"{page_origin}/article/{keys[name]}"
                            measured = visit(browser, url, setup, profile)
                            hits = [
                                h
                                for h in (*page_app.take(), *consent_app.take())
                                if setup.owns(h[0], h[1])
                            ]
                            measured["requests"] = len(hits)
                            measured["bytes"] = sum(h[2] for h in hits)
                            for key, value in measured.items():
                                results[profile][name].setdefault(key, []).append(value)
                        print(f"  {profile}: run {i + 1} of {args.runs}", file=sys.stderr)
                chromium = browser.version
                browser.close()
        finally:
            for server in servers:
                server.stop()
        bare = setups["none"]
        return {
            "chromium": chromium,
            "versions": {
                name: version(modules, package)
                for name, package in (
                    ("vanilla-cookieconsent", "vanilla-cookieconsent"),
                    ("Orejime", "orejime"),
                    ("Klaro", "klaro"),
                    ("tarteaucitron", "tarteaucitronjs"),
                )
            },
            "page_bytes": {name: page_bytes(s, bare) for name, s in setups.items()},
            "results": results,
            "runs": args.runs,
        }


def report(figures: dict[str, Any]) -> None:
    """One Markdown table per profile (what docs/BENCHMARKS.md shows)."""
    versions = figures["versions"]
    print(
        f"\nconsent-ui and its peers on one article page: Chromium {figures['chromium']}, "
        f"medians of {figures['runs']} interleaved runs, each in a fresh context"
    )
    for profile, by_setup in figures["results"].items():
        heap0 = median(by_setup["none"]["heap"])
        peers = [n for n in by_setup if n in versions]
        best = min(peers, key=lambda n: median(by_setup[n]["banner"]))
        best_ms = median(by_setup[best]["banner"])
        print(f"\n{profile} (best peer: {best})\n")
        print(
            "| set-up | time to banner | vs best peer | bytes (gzip) | requests "
            "| layout shift | JS heap added |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, values in by_setup.items():
            if name == "none":
                continue
            label = f"{name} {versions[name]}" if name in versions else name
            ms = median(values["banner"])
            total = median(values["bytes"]) + figures["page_bytes"][name]
            heap = (median(values["heap"]) - heap0) / 1024
            print(
                f"| {label} | {ms:,.0f} ms | {ms / best_ms:.2f} | {total:,.0f} B "
                f"| {median(values['requests']):.0f} | {max(values['shift']):.3f} "
                f"| {heap:,.0f} KB |"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description="consent-ui beside other consent managers")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    figures = run(args)
    report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
