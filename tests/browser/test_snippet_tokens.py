"""Bad consent cookies on pages the consent server does not render (issue 4).

The snippet reads the token synchronously and checks what it can without the key: the
shape, the age and the policy (revision, categories). Such a token never lets a tracker
run and never costs a request. A token that only the server can refuse (a forged
signature, an unknown key) lets the trackers start, once; the background check then
deletes it and the banner comes back.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from itsdangerous import TimestampSigner

from consent_ui import create_app
from consent_ui.consent import new_consent_id
from consent_ui.extension import ConsentUI
from consent_ui.policy import BUILTIN_POLICY
from consent_ui.token import SALT, _UncompressedSerializer
from examples.harness import LiveServer, free_port, serve
from examples.static_site import make_app as example_site
from tests.browser.conftest import SECRET

ALL = ("statistics", "personalization", "marketing")
KEYS = ("essential", *ALL)
DAY = 24 * 3600


def token(
    *,
    key: str = SECRET,
    age: float = 0,
    rev: int = 1,
    granted: tuple[str, ...] = KEYS,
    denied: tuple[str, ...] = (),
) -> str:
    """A token as the server signs them, with whatever it holds and signed ``age``
    seconds ago."""
    issued = int(time.time() - age)
    signer = type("Then", (TimestampSigner,), {"get_timestamp": lambda self: issued})
    serializer = _UncompressedSerializer([key], salt=SALT, signer=signer)
    payload = {"id": new_consent_id(), "rev": rev, "granted": granted, "denied": denied}
    return serializer.dumps(payload)


def flip(text: str, at: int) -> str:
    return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]


def give(page, url: str, value: str) -> None:
    page.context.add_cookies([{"name": "consent", "value": value, "url": url}])


def max_age(live: LiveServer) -> int:
    return ConsentUI.state(live.app).settings.max_age_days * DAY


def test_the_server_signs_what_this_module_forges(consent_server):
    """The helper above makes real tokens: the server accepts a fresh one."""
    state = ConsentUI.state(consent_server.app)
    consent = state.signer.verify(token(), state.policy)
    assert consent is not None
    assert consent.granted == KEYS
    assert state.signer.verify(token(key="another key"), state.policy) is None


REFUSED_ON_THE_SPOT = {
    # Its payload no longer decodes: the first character of '{"id"…' changed.
    "tampered payload": lambda live: flip(token(), 0),
    "expired": lambda live: token(age=max_age(live) + 60),
    "from the future": lambda live: token(age=-3600),
    "another revision": lambda live: token(rev=2),
    "not deciding every category": lambda live: token(granted=("essential", "statistics")),
    "deciding an unknown category": lambda live: token(denied=("newsletter",)),
    "not a token": lambda live: "hello",
}


@pytest.mark.parametrize("case", REFUSED_ON_THE_SPOT)
def test_a_token_the_snippet_can_refuse_runs_nothing_and_asks_again(
    origin, case, consent_server, page, ui
):
    give(page, origin, REFUSED_ON_THE_SPOT[case](consent_server))
    requests = ui.requests_to(consent_server.url)
    page.goto(origin + "/")
    ui.banner().wait_for(state="visible")

    assert ui.runs() == {}
    assert ui.state() is None
    assert page.locator("iframe[data-consent]").get_attribute("src") is None
    # Refused on the spot: no background check was needed.
    assert not [r for r in requests if "/api/" in r]


def test_after_a_refused_token_the_next_choice_starts_afresh(site, consent_server, page, ui):
    bad = flip(token(), 0)
    give(page, site.cross_site, bad)
    ui.record_changes()
    page.goto(site.cross_site + "/")
    ui.banner().wait_for(state="visible")
    ui.decide("reject-all")

    assert ui.state()["categories"] == ["essential"]
    [cookie] = [c for c in page.context.cookies() if c["name"] == "consent"]
    assert cookie["value"] != bad
    page.reload()
    ui.wait_for("window.consentUI && window.consentUI.get()")
    assert page.locator("[data-consent-banner]").count() == 0


# Tracker runs across page loads: the tracker counts in window.demoTrackerRuns.
REPORT_RUNS = """
window.demoTrackerRuns = new Proxy({}, {
  set(runs, category, count) { runs[category] = count; window.reportRun(category); return true; },
});
"""

ONLY_THE_SERVER_CAN_TELL = {
    "forged signature": lambda: flip(token(), -3),
    "signed with an unknown key": lambda: token(key="a key this server never had"),
}


@pytest.mark.parametrize("case", ONLY_THE_SERVER_CAN_TELL)
def test_a_token_only_the_server_can_refuse_is_deleted_by_the_background_check(
    origin, case, consent_server, page, ui
):
    runs: list[str] = []
    page.context.expose_function("reportRun", lambda category: runs.append(category))
    page.add_init_script(REPORT_RUNS)
    loads: list[str] = []  # documents: the first load and the reload
    page.on("framenavigated", lambda f: f == page.main_frame and loads.append(f.url))
    answers: list[tuple[str, int]] = []
    page.on("response", lambda r: answers.append((r.request.method + " " + r.url, r.status)))
    give(page, origin, ONLY_THE_SERVER_CAN_TELL[case]())

    page.goto(origin + "/")
    for _ in range(100):  # the page reloads: the trackers that ran cannot be un-run
        if len(loads) == 2:
            break
        page.wait_for_timeout(50)
    ui.banner().wait_for(state="visible")

    # Each granted tracker ran once, on the first load only.
    assert sorted(runs) == sorted(ALL)
    assert ui.runs() == {}
    assert ui.state() is None
    assert loads == [origin + "/", origin + "/"]
    checks = [status for url, status in answers if url == f"GET {consent_server.url}/api/consent"]
    assert checks == [404]
    assert "consent" not in ui.cookie_names()
    assert page.evaluate("sessionStorage['consent-ui:verified']") is None


# Other servers: a raised policy revision, a rotated key. Each gets its own copy of
# the example site on a port its CORS allows.


def start(tmp: Path, **config: str) -> tuple[LiveServer, LiveServer]:
    port = free_port()
    consent = serve(
        create_app(
            {
                "CONSENT_SECRET_KEY": SECRET,
                "CONSENT_DATABASE": str(tmp / "consent.db"),
                "CONSENT_ALLOWED_ORIGINS": f"http://127.0.0.1:{port}",
                **config,
            }
        )
    )
    return consent, serve(example_site(consent.url), port)


@pytest.fixture(scope="module")
def revision_2(consent_server, tmp_path_factory) -> Iterator[tuple[LiveServer, LiveServer]]:
    tmp = tmp_path_factory.mktemp("revision-2")
    policy = BUILTIN_POLICY.read_text(encoding="utf-8").replace(
        "\nrevision = 1\n", "\nrevision = 2\n"
    )
    assert "revision = 2" in policy
    (tmp / "policy.toml").write_text(policy, encoding="utf-8")
    servers = start(tmp, CONSENT_POLICY=str(tmp / "policy.toml"))
    yield servers
    for live in servers:
        live.stop()


def test_a_token_of_the_previous_revision_runs_nothing_and_asks_again(
    revision_2, consent_server, page, ui
):
    consent, site = revision_2
    ui.preset_consent(consent_server, list(ALL), site.url)
    assert ConsentUI.state(consent_server.app).policy.revision == 1
    requests = ui.requests_to(consent.url)
    ui.record_changes()
    page.goto(site.url + "/")
    ui.banner().wait_for(state="visible")

    assert ui.runs() == {}
    assert not [r for r in requests if "/api/" in r]
    ui.decide("accept-all")
    ui.wait_for_runs(*ALL)
    assert ui.state()["revision"] == 2


@pytest.fixture(scope="module")
def rotated(consent_server, tmp_path_factory) -> Iterator[tuple[LiveServer, LiveServer]]:
    tmp = tmp_path_factory.mktemp("rotated")
    servers = start(
        tmp,
        CONSENT_SECRET_KEY="the new key, of 32 characters or more",
        CONSENT_SECRET_KEY_FALLBACKS=SECRET,
    )
    yield servers
    for live in servers:
        live.stop()


def test_a_token_signed_with_a_fallback_key_is_confirmed(rotated, page, ui):
    consent, site = rotated
    signed_before = token(
        granted=("essential", "statistics"), denied=("personalization", "marketing")
    )
    give(page, site.url, signed_before)
    requests = ui.requests_to(consent.url)
    page.goto(site.url + "/")
    ui.wait_for(f"sessionStorage['consent-ui:verified'] == '{signed_before}'")

    assert ui.runs() == {"statistics": 1}
    assert page.locator("[data-consent-banner]").count() == 0
    assert [r for r in requests if "/api/" in r] == ["GET /api/consent"]
    assert [c["value"] for c in page.context.cookies() if c["name"] == "consent"] == [signed_before]
