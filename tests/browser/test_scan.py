"""``consent-ui scan`` for real: the command in a subprocess, a real Chromium, small
sites served here. The consent server is http://localhost:<port> (another site than
the pages on 127.0.0.1); its policy is the built-in one with one more host declared for
the Meta Pixel, pixel.ads.test, a third local server that Chromium reaches through
``--host-resolver-rules`` (the real hosts are on Chromium's HTTPS-only preload list)."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from consent_ui import create_app
from consent_ui.extension import ConsentUI
from consent_ui.policy import BUILTIN_POLICY
from examples.harness import LiveServer, free_port, serve
from tests.conftest import LOCALE_VARIABLES

pytestmark = pytest.mark.slow

CONSENT_UI = Path(sys.executable).with_name("consent-ui")
PIXEL_HOST = "pixel.ads.test"
RESOLVE = f"--chromium-arg=--host-resolver-rules=MAP {PIXEL_HOST} 127.0.0.1"
GIF = base64.b64decode("R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==")

HEAD = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
    '<script src="__CONSENT__/consent.js" defer></script></head><body><h1>{title}</h1>'
)

CLEAN = {
    "/": HEAD.format(title="Clean shop")
    + '<a href="/about">About</a>'
    + '<script type="text/plain" data-consent="statistics" src="/ga.js"></script>'
    + '<script type="text/plain" data-consent="marketing" src="/fbp.js"></script>'
    + '<img data-consent="marketing" data-src="__PIXEL__/tr?id=1" width="1" height="1" alt="">'
    + "</body></html>",
    "/about": HEAD.format(title="About") + "<p>Nothing to see.</p></body></html>",
}
LEAKY = {
    # An undeclared cookie from the HTTP response, an ungated statistics tracker (it
    # survives Reject all), an undeclared storage key from an inline script, the
    # Meta Pixel's host called before any choice; and one tracker gated as it should be.
    "/": (
        HEAD.format(title="Leaky shop")
        + '<script src="/analytics.js"></script>'
        + "<script>localStorage.setItem('visitor_profile', 'returning')</script>"
        + '<img src="__PIXEL__/tr?id=1" width="1" height="1" alt="">'
        + '<script type="text/plain" data-consent="marketing" src="/fbp.js"></script>'
        + "</body></html>",
        {"Set-Cookie": "ab_test=b; Path=/; Max-Age=86400"},
    ),
    "/plain": "<!doctype html><title>No snippet</title><p>Nothing here loads consent-ui.</p>",
    "/data.json": ('{"not": "a page"}', {"Content-Type": "application/json"}),
}
BIG = {
    "/": HEAD.format(title="Big shop")
    + "".join(f'<a href="/{p}">{p}</a> ' for p in ("a", "b", "c", "private/x"))
    + '<a href="__ELSEWHERE__/elsewhere">another site</a></body></html>',
    **{f"/{p}": HEAD.format(title=p) + '<a href="/">home</a></body></html>' for p in "abc"},
    "/private/x": HEAD.format(title="private") + "</body></html>",
    "/robots.txt": ("User-agent: *\nDisallow: /private\n", {"Content-Type": "text/plain"}),
}
SCRIPTS = {
    "/ga.js": "document.cookie = '_ga=GA1.1.' + Date.now() + '; path=/; max-age=63072000';",
    "/analytics.js": "document.cookie = '_ga=GA1.1.' + Date.now() + '; path=/; max-age=6e7';"
    "document.cookie = '_gid=GA1.1.1; path=/; max-age=86400';",
    "/fbp.js": "document.cookie = '_fbp=fb.1.' + Date.now() + '; path=/; max-age=7776000';",
}


@dataclass
class Site:
    live: LiveServer
    hits: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.live.url


def make_site(pages: dict[str, Any], port: int, replace: dict[str, str]) -> Site:
    hits: list[str] = []

    def app(environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        hits.append(request.path)
        page = pages.get(request.path)
        if page is None and request.path in SCRIPTS:
            page = (SCRIPTS[request.path], {"Content-Type": "text/javascript"})
        if page is None:
            return Response("not found", status=404)(environ, start_response)
        body, headers = page if isinstance(page, tuple) else (page, {})
        for key, value in replace.items():
            body = body.replace(key, value)
        response = Response(body, headers={"Content-Type": "text/html; charset=utf-8", **headers})
        return response(environ, start_response)

    return Site(serve(app, port), hits)


@pytest.fixture(scope="module")
def ports() -> dict[str, int]:
    return {name: free_port() for name in ("clean", "leaky", "big")}


@pytest.fixture(scope="module")
def consent_live(
    tmp_path_factory: pytest.TempPathFactory, ports: dict[str, int]
) -> Iterator[LiveServer]:
    origins = ",".join(f"http://127.0.0.1:{p}" for p in ports.values())
    folder = tmp_path_factory.mktemp("scan")
    policy = folder / "policy.toml"
    policy.write_text(
        BUILTIN_POLICY.read_text().replace(
            'hosts = ["connect.facebook.net"', f'hosts = ["{PIXEL_HOST}", "connect.facebook.net"'
        )
    )
    app = create_app(
        {
            "CONSENT_SECRET_KEY": "scanner-test-secret-key-of-some-length",
            "CONSENT_DATABASE": str(folder / "consent.db"),
            "CONSENT_ALLOWED_ORIGINS": origins,
            "CONSENT_POLICY": str(policy),
        }
    )
    live = serve(app)
    yield live
    live.stop()


@pytest.fixture(scope="module")
def consent_ui(consent_live: LiveServer) -> str:
    return consent_live.url.replace("127.0.0.1", "localhost")


@pytest.fixture(scope="module")
def pixel() -> Iterator[Site]:
    hits: list[str] = []

    def app(environ: dict, start_response: Callable) -> Any:
        hits.append(Request(environ).path)
        return Response(GIF, mimetype="image/gif")(environ, start_response)

    live = serve(app)
    yield Site(live, hits)
    live.stop()


@pytest.fixture(scope="module")
def elsewhere() -> Iterator[Site]:
    site = make_site({"/elsewhere": HEAD.format(title="Elsewhere")}, 0, {})
    yield site
    site.live.stop()


@pytest.fixture(scope="module")
def sites(
    consent_ui: str, pixel: Site, elsewhere: Site, ports: dict[str, int]
) -> Iterator[dict[str, Site]]:
    replace = {
        "__CONSENT__": consent_ui,
        "__PIXEL__": f"http://{PIXEL_HOST}:{pixel.live.server.server_port}",
        "__ELSEWHERE__": elsewhere.url.replace("127.0.0.1", "localhost"),
    }
    made = {
        name: make_site(pages, ports[name], replace)
        for name, pages in (("clean", CLEAN), ("leaky", LEAKY), ("big", BIG))
    }
    yield made
    for site in made.values():
        site.live.stop()


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def english_terminal() -> dict[str, str]:
    """The environment, in an English terminal whatever the developer's."""
    return {**{k: v for k, v in os.environ.items() if k not in LOCALE_VARIABLES}, "LANG": "C.UTF-8"}


def scan(*args: str) -> Run:
    done = subprocess.run(
        [str(CONSENT_UI), "scan", "--wait", "0.3", RESOLVE, *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=english_terminal(),
    )
    return Run(done.returncode, done.stdout, done.stderr)


#: ``flask consent scan`` in a host app: the standalone service's own.
FLASK_CONSENT_SCAN = (sys.executable, "-m", "flask", "--app", "consent_ui:create_app")


def flask_scan(tmp_path: Path, *args: str, lang: str = "C.UTF-8") -> Run:
    """The same scan as ``flask consent scan`` in a host app (the standalone service's),
    whose language selector needs a request, in a terminal whose ``LANG`` is ``lang``."""
    env = {
        **english_terminal(),
        "LANG": lang,
        "CONSENT_SECRET_KEY": "k" * 32,
        "CONSENT_DATABASE": str(tmp_path / "host.db"),
    }
    done = subprocess.run(
        [*FLASK_CONSENT_SCAN, "consent", "scan", "--wait", "0.3", RESOLVE, *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def progress_lines(run: Run) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.startswith("[")]


def test_a_clean_site_exits_0_with_unused_infos_only(sites: dict[str, Site]) -> None:
    run = scan(sites["clean"].url + "/", "--max-pages", "2", "--format", "json")
    assert run.code == 0, run.stderr
    report = json.loads(run.stdout)  # stdout is the report alone
    assert [p["url"] for p in report["pages"]] == [
        sites["clean"].url + "/",
        sites["clean"].url + "/about",
    ]
    assert {f["code"] for f in report["findings"]} == {"unused"}
    assert all(f["severity"] == "info" for f in report["findings"])
    items = {(i["kind"], i["name"]): i for i in report["items"]}
    assert items["cookie", "_ga"]["states"] == ["accepted"]
    assert items["cookie", "_fbp"]["states"] == ["accepted"]
    requests = [i for i in report["items"] if i["kind"] == "request"]
    assert [(r["domain"], r["category"], r["states"]) for r in requests] == [
        (PIXEL_HOST, "marketing", ["accepted"])
    ]
    assert len(progress_lines(run)) == 2


def test_each_finding_of_a_leaky_site_with_what_caused_it(
    sites: dict[str, Site], pixel: Site
) -> None:
    leaky = sites["leaky"].url
    run = scan(leaky + "/", "--max-pages", "1", "--format", "json")
    assert run.code == 1, run.stderr
    report = json.loads(run.stdout)
    found = {
        (f["code"], f["kind"], f["name"], f["state"])
        for f in report["findings"]
        if f["code"] != "unused"
    }
    pixel_url = f"http://{PIXEL_HOST}:{pixel.live.server.server_port}/tr"
    assert found == {
        ("before-consent", "cookie", "_ga", "before"),
        ("before-consent", "cookie", "_gid", "before"),
        ("before-consent", "cookie", "ab_test", "before"),
        ("before-consent", "localStorage", "visitor_profile", "before"),
        ("before-consent", "request", pixel_url, "before"),
        ("after-reject", "cookie", "_ga", "rejected"),
        ("after-reject", "request", pixel_url, "rejected"),
        ("undeclared", "cookie", "_gid", "before"),
        ("undeclared", "cookie", "ab_test", "before"),
        ("undeclared", "localStorage", "visitor_profile", "before"),
    }
    items = {(i["kind"], i["name"]): i for i in report["items"]}
    assert items["cookie", "_ga"]["set_by"] == {"type": "script", "url": leaky + "/analytics.js"}
    assert items["cookie", "ab_test"]["set_by"] == {"type": "response", "url": leaky + "/"}
    assert items["localStorage", "visitor_profile"]["set_by"] == {
        "type": "inline",
        "url": leaky + "/",
    }
    assert items["request", pixel_url]["set_by"] == {"type": "page", "url": leaky + "/"}
    assert items["request", pixel_url]["service"] == "Meta Pixel"
    # the gated tracker waited for Accept all
    assert items["cookie", "_fbp"]["states"] == ["accepted"]
    assert items["cookie", "_ga"]["states"] == ["before", "rejected", "accepted"]
    messages = {
        f["name"]: f["message"] for f in report["findings"] if f["code"] == "before-consent"
    }
    assert f"by the script {leaky}/analytics.js" in messages["_ga"]
    assert f"by the HTTP response of {leaky}/ (Set-Cookie)" in messages["ab_test"]


def test_the_text_report_groups_the_findings(sites: dict[str, Site]) -> None:
    run = scan(sites["leaky"].url + "/", "--max-pages", "1")
    assert run.code == 1
    text = run.stdout
    order = [
        text.index(f"{code} (")
        for code in ("before-consent", "after-reject", "undeclared", "unused")
    ]
    assert order == sorted(order)
    assert "before-consent (error): 5" in text
    assert "after-reject (error): 2" in text
    assert "undeclared (warning): 3" in text
    assert "Summary: 1 page, " in text
    assert run.stderr.splitlines()[-1].startswith("consent-ui scan: 1 page, ")


def test_junit_has_a_failure_per_error_for_ci(sites: dict[str, Site], tmp_path: Path) -> None:
    """In French: the messages change, the cases, states and codes do not."""
    out = tmp_path / "scan.xml"
    leaky = sites["leaky"].url
    run = scan(
        leaky + "/", "--max-pages", "1", "--format", "junit", "--output", str(out), "--lang", "fr"
    )
    assert run.code == 1
    assert run.stdout == ""
    suite = ET.parse(out).getroot()
    cases = {c.get("name"): c for c in suite.findall("testcase") if c.get("classname") != "policy"}
    assert sorted(cases) == ["accepted", "before", "rejected"]
    assert len(cases["before"].findall("failure")) == 5
    assert {f.get("type") for f in cases["rejected"].findall("failure")} == {"after-reject"}
    assert cases["accepted"].findall("failure") == []
    assert suite.get("failures") == "7"
    ga = f"Avant tout choix, le script {leaky}/analytics.js dépose le cookie « _ga » de "
    messages = [f.get("message") for f in cases["before"].findall("failure")]
    assert len([m for m in messages if m.startswith(ga)]) == 1, messages


def test_the_html_report_shows_each_page_in_each_state(
    sites: dict[str, Site], tmp_path: Path
) -> None:
    out = tmp_path / "scan.html"
    run = scan(
        sites["leaky"].url + "/", "--max-pages", "1", "--format", "html", "--output", str(out)
    )
    assert run.code == 1
    html = out.read_text()
    shots = html.split('src="data:image/jpeg;base64,')[1:]
    assert len(shots) == 3
    for shot in shots:
        assert base64.b64decode(shot.split('"', 1)[0])[:2] == b"\xff\xd8"  # a JPEG
    assert "<h3><a href=" in html
    assert "Leaky shop" in html
    assert "visitor_profile" in html


def test_suggest_prints_policy_toml_for_what_is_undeclared(sites: dict[str, Site]) -> None:
    run = scan(sites["leaky"].url + "/", "--max-pages", "1", "--suggest")
    assert run.code == 1
    data = tomllib.loads(run.stdout)
    services = data["categories"]["statistics"]["services"]
    assert [(s["name"], [c["name"] for c in s["cookies"]]) for s in services] == [
        ("Google Analytics", ["_gid"])
    ]
    assert '# - cookie "ab_test"' in run.stdout
    assert '# - localStorage "visitor_profile"' in run.stdout


def test_the_crawl_stays_on_the_site_obeys_robots_and_stops(
    sites: dict[str, Site], elsewhere: Site
) -> None:
    big = sites["big"]
    run = scan(big.url + "/", "--max-pages", "3")
    assert run.code == 0, run.stderr
    pages = [line.split()[0] for line in run.stdout.split("Pages:\n", 1)[1].splitlines()[:3]]
    assert pages == [big.url + "/", big.url + "/a", big.url + "/b"]
    # another site: the link to it, and the banner's link to the consent server's policy
    assert "Links not followed: 2 to other sites, 1 (robots.txt)." in run.stdout
    assert elsewhere.hits == []
    assert "/private/x" not in big.hits
    assert "/c" not in big.hits
    assert [line.split()[0] for line in progress_lines(run)] == ["[1/3]", "[2/3]", "[3/3]"]


def test_the_demo_site_scans_clean(consent_ui: str, consent_live: LiveServer) -> None:
    store = ConsentUI.state(consent_live.app).store
    before = store.count()
    run = scan(consent_ui + "/", "--max-pages", "2", "--format", "json")
    assert run.code == 0, run.stderr
    report = json.loads(run.stdout)
    assert {f["severity"] for f in report["findings"]} == {"info"}
    items = {(i["kind"], i["name"]): i for i in report["items"]}
    for name in ("_ga", "_fbp"):
        assert items["cookie", name]["states"] == ["accepted"]
    assert items["localStorage", "recently_viewed"]["category"] == "personalization"
    # Its choices (two per page) are marked: the dashboard leaves them out of the figures.
    records = list(store.export(date(2000, 1, 1), date(2100, 1, 1)))[before:]
    assert len(records) == 4
    assert {(r["action"], r["agent"]) for r in records} == {
        ("reject_all", "scanner"),
        ("accept_all", "scanner"),
    }


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (
            "unreachable",
            "Error: cannot reach http://127.0.0.1:{port}/: net::ERR_CONNECTION_REFUSED",
        ),
        ("json", "Error: {leaky}/data.json is not an HTML page (application/json)"),
        ("plain", "Error: {leaky}/plain: this page does not load consent-ui"),
        ("missing", "Error: {leaky}/missing answered HTTP 404"),
        ("policy", "Error: {policy}: categories.statistics.label: missing the French text (fr)"),
        ("both", "Error: give --policy or --server, not both"),
    ],
)
def test_setup_problems_are_one_line_and_exit_2(
    case: str, message: str, sites: dict[str, Site], tmp_path: Path
) -> None:
    leaky = sites["leaky"].url
    policy = tmp_path / "policy.toml"
    policy.write_text(
        "revision = 1\n[categories.essential]\nrequired = true\n"
        'label = { en = "E", fr = "E" }\ndescription = { en = "E", fr = "E" }\n'
        '[categories.statistics]\nlabel = { en = "S" }\ndescription = { en = "S", fr = "S" }\n'
    )
    port = free_port()
    args = {
        "unreachable": [f"http://127.0.0.1:{port}/"],
        "json": [leaky + "/data.json"],
        "plain": [leaky + "/plain"],
        "missing": [leaky + "/missing"],
        "policy": [leaky + "/", "--policy", str(policy)],
        "both": [leaky + "/", "--policy", str(policy), "--server", leaky],
    }[case]
    run = scan(*args)
    assert run.code == 2
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    usage = ("[", "Usage", "Try")
    lines = [
        line for line in run.stderr.splitlines() if line.strip() and not line.startswith(usage)
    ]
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(message.format(port=port, leaky=leaky, policy=policy))


def test_in_french_the_words_change_and_the_findings_do_not(
    sites: dict[str, Site], tmp_path: Path
) -> None:
    leaky = sites["leaky"].url
    english = json.loads(scan(leaky + "/", "--max-pages", "1", "--format", "json").stdout)
    # The terminal's language is the default (``--lang`` says it too).
    run = flask_scan(tmp_path, leaky + "/", "--max-pages", "1", "--format", "json", lang="fr_CM")
    assert run.code == 1, run.stderr  # an error finding, in any language
    french = json.loads(run.stdout)
    [line] = progress_lines(run)
    assert re.fullmatch(rf"\[1/1\] {re.escape(leaky)}/ · 3 visites · \d+ éléments", line), line

    ga = f"Avant tout choix, le script {leaky}/analytics.js dépose le cookie « _ga » de "
    assert [f["message"] for f in french["findings"] if f["message"].startswith(ga)] != []
    assert run.stderr.splitlines()[-1].startswith("consent-ui scan: 1 page, ")
    assert " erreurs, " in run.stderr.splitlines()[-1]

    def facts(report: dict) -> list[dict]:
        return [{k: v for k, v in f.items() if k != "message"} for f in report["findings"]]

    assert facts(french) == facts(english)
    assert french["items"] == english["items"]
