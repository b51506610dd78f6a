"""The QA kit's pytest plugin, tested as pytest plugins test themselves: ``pytester``
writes small QA projects and runs pytest on them in a subprocess, where the plugin and
pytest-playwright load through their entry points, as in a QA team's repository."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from consent_ui import create_app
from consent_ui.extension import ConsentUI
from consent_ui.policy import BUILTIN_POLICY
from examples.harness import LiveServer, free_port, serve

pytestmark = pytest.mark.slow

SITE_URL = """
import pytest

@pytest.fixture
def site_url(consent_server):
    return consent_server.url + "/"
"""

#: The three tests of issue 7, as a QA engineer writes them, and one that fails.
THREE_TESTS = """
import pytest
from consent_ui.testing import ConsentBanner

def test_first_visit_can_refuse(page, site_url):
    page.goto(site_url)
    ConsentBanner(page).reject_all()

@pytest.mark.consent("statistics")
def test_analytics_with_statistics(page, site_url, trackers):
    page.goto(site_url)
    trackers.assert_only("essential", "statistics")

def test_every_state(page, site_url, consent_state, trackers):
    page.goto(site_url)
    trackers.assert_only("essential", *consent_state.categories)

def test_accepting_everything_is_not_only_essential(page, site_url, trackers):
    page.goto(site_url)
    ConsentBanner(page).accept_all()
    trackers.assert_only("essential")
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=600)


def test_the_plugin_loads_through_its_entry_point(pytester: pytest.Pytester) -> None:
    help_text = run(pytester, "--help").stdout.str()
    assert "consent-ui QA kit:" in help_text
    for option in (
        "--consent-server=URL",
        "--consent-policy=FILE",
        "--consent-allow-origin=ORIGIN",
    ):
        assert option in help_text
    markers = run(pytester, "--markers").stdout.str()
    assert (
        "@pytest.mark.consent(*keys): before the test, preset pytest-playwright's context"
        in markers
    )


def test_it_does_nothing_until_used(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sys
        import threading

        def test_untouched():
            assert "consent_ui.testing.plugin" in sys.modules
            assert threading.active_count() == 1  # no consent server, no Playwright
        """
    )
    run(pytester).assert_outcomes(passed=1)


def test_p_no_consent_ui_turns_it_off(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_needs_the_kit(trackers):
            pass
        """
    )
    result = run(pytester, "-p", "no:consent_ui")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'trackers' not found*"])
    assert "--consent-server" not in run(pytester, "-p", "no:consent_ui", "--help").stdout.str()


def test_the_three_tests_pass_and_a_leak_reads_plainly(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(SITE_URL)
    pytester.makepyfile(test_site=THREE_TESTS)
    result = run(pytester, "-v")
    result.assert_outcomes(passed=8, failed=1)
    out = result.stdout.str()
    ids = re.findall(r"test_every_state\[(consent=[a-z]+)-chromium\] PASSED", out)
    assert ids == [
        "consent=none",
        "consent=reject",
        "consent=accept",
        "consent=statistics",
        "consent=personalization",
        "consent=marketing",
    ]
    # The failure names each offender, its category and service, and who set it.
    assert re.search(
        r"AssertionError: 5 trackers outside essential on http://127\.0\.0\.1:\d+/:", out
    )
    for line in (
        r"- cookie “_ga” on 127\.0\.0\.1: statistics \(Google Analytics\), set by the script "
        r"http://127\.0\.0\.1:\d+/static/demo/tracker\.js",
        r"- cookie “_fbp” on 127\.0\.0\.1: marketing \(Meta Pixel\), set by the script ",
        r"- localStorage key “recently_viewed” on 127\.0\.0\.1: personalization "
        r"\(Recommendations\), set by the script ",
    ):
        assert re.search(line, out), line


#: Every fixture, the marker's forms and the page objects, against the started server
#: and a page of another site (allowed with --consent-allow-origin).
EVERY_FIXTURE = """
import os
import time
import pytest
from consent_ui.testing import ConsentBanner, ConsentServer, PreferencesDialog

SHOP = "http://localhost:" + os.environ["SHOP_PORT"] + "/"
OPTIONAL = ["statistics", "personalization", "marketing"]


def test_consent_server_is_started_with_the_builtin_policy(consent_server):
    assert isinstance(consent_server, ConsentServer)
    assert consent_server.url.startswith("http://127.0.0.1:")
    assert consent_server.policy.keys == ("essential", *OPTIONAL)
    assert consent_server.records() == []


@pytest.mark.consent("all")
def test_accept_all_preset(page, site_url, consent, consent_server):
    page.goto(site_url)
    assert not ConsentBanner(page).is_visible()
    state = consent.state(page)
    assert state["categories"] == ["essential", *OPTIONAL]
    [record] = consent_server.records(state["id"])
    assert (record["action"], record["agent"], record["surface"]) == ("accept_all", "qa", "api")


@pytest.mark.consent()
def test_reject_all_preset(page, site_url, consent, trackers):
    page.goto(site_url)
    assert consent.state(page)["categories"] == ["essential"]
    trackers.assert_only("essential")


@pytest.mark.consent(None)
def test_no_choice_yet(page, site_url, consent):
    page.goto(site_url)
    assert ConsentBanner(page).is_visible()
    assert consent.state(page) is None


@pytest.mark.consent("marketing")
def test_one_category(page, site_url, trackers):
    page.goto(site_url)
    assert [t.name for t in trackers.of("marketing") if t.kind == "cookie"] == ["_fbp"]
    assert trackers.of("statistics") == []
    page.evaluate("document.cookie = 'mystery=1; path=/'")
    [mystery] = trackers.undeclared()
    said = "cookie “mystery” on 127.0.0.1: undeclared, set by an unknown script"
    assert mystery.describe() == said
    with pytest.raises(ValueError, match="no category 'ads'"):
        trackers.of("ads")


def test_consent_presets_and_clears_a_context(context, page, site_url, consent):
    consent_id = consent.preset(context, ["personalization"])
    page.goto(site_url)
    assert consent.state(page)["id"] == consent_id
    assert consent.state(page)["categories"] == ["essential", "personalization"]
    consent.clear(context)
    page.goto(site_url)
    assert ConsentBanner(page).is_visible()


def test_page_objects_drive_the_banner_and_the_preferences(page, site_url, consent, consent_server):
    page.goto(site_url)
    banner = ConsentBanner(page)
    dialog = banner.customise()
    assert dialog.is_open()
    dialog.set("statistics", True)
    dialog.save()
    assert not dialog.is_open()
    state = consent.state(page)
    assert state["categories"] == ["essential", "statistics"]
    again = PreferencesDialog(page).open()
    assert again.consent_id() == state["id"]
    assert again.is_on("statistics")
    again.dismiss()
    assert not again.is_open()
    page.evaluate("window.before = 1")
    # statistics' script ran: the page reloads; its snippet comes slowly.
    page.route("**/consent.js*", lambda route: (time.sleep(0.5), route.continue_()))
    PreferencesDialog(page).open().reject_all()
    assert page.evaluate("window.before") is None  # it returned on the reloaded page,
    assert page.evaluate("document.readyState") == "complete"  # once loaded
    assert consent.state(page)["categories"] == ["essential"]
    actions = [(r["action"], r["surface"], r["agent"]) for r in consent_server.records(state["id"])]
    assert actions == [("custom", "preferences", "qa"), ("reject_all", "preferences", "qa")]


@pytest.mark.browser_context_args(locale="fr-FR")
@pytest.mark.consent(None)
def test_both_markers_and_the_kits_user_agent(page, site_url):
    page.goto(site_url)
    assert ConsentBanner(page).is_visible()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert "consent-ui-qa/" in page.evaluate("navigator.userAgent")


def test_close_is_continue_without_accepting(page, site_url, consent):
    page.goto(site_url)
    ConsentBanner(page).close()
    assert consent.state(page)["categories"] == ["essential"]


def test_a_page_of_another_site(page, context, consent, trackers, consent_server):
    page.goto(SHOP)
    ConsentBanner(page).accept_all()
    assert {t.name for t in trackers.of("statistics")} >= {"_ga"}
    context.clear_cookies()
    consent.preset(context, ["statistics"], url=SHOP)
    page.goto(SHOP)
    assert not ConsentBanner(page).is_visible()
    assert consent.state(page)["categories"] == ["essential", "statistics"]
"""

SHOP = """
import os
import threading
import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

@pytest.fixture
def site_url(consent_server):
    return consent_server.url + "/"

@pytest.fixture(scope="session", autouse=True)
def shop(consent_server):
    page = (
        '<!doctype html><html lang="en"><head><title>Shop</title>'
        f'<script src="{consent_server.url}/consent.js" defer></script></head><body>'
        f'<script type="text/plain" data-consent="statistics" data-category="statistics" '
        f'data-cookies="_ga" src="{consent_server.url}/static/demo/tracker.js"></script>'
        '</body></html>'
    )
    app = Response(page, mimetype="text/html")
    server = make_server("127.0.0.1", int(os.environ["SHOP_PORT"]), app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield
    server.shutdown()
"""


def test_every_fixture_marker_and_page_object(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    monkeypatch.setenv("SHOP_PORT", str(port))
    pytester.makeconftest(SHOP)
    pytester.makepyfile(test_kit=EVERY_FIXTURE)
    result = run(pytester, "-v", f"--consent-allow-origin=http://localhost:{port}")
    result.assert_outcomes(passed=10)


@pytest.fixture
def staging(tmp_path: Path) -> Iterator[LiveServer]:
    app = create_app(
        {
            "CONSENT_SECRET_KEY": "staging-secret-key-long-enough-for-signing",
            "CONSENT_DATABASE": str(tmp_path / "s.db"),
        }
    )
    live = serve(app)
    yield live
    live.stop()


def test_consent_server_option_tests_a_staging_server(
    pytester: pytest.Pytester, staging: LiveServer
) -> None:
    pytester.makeconftest(SITE_URL)
    pytester.makepyfile(
        f"""
        import pytest
        from consent_ui.testing import ConsentServerError

        @pytest.mark.consent("statistics")
        def test_staging(page, site_url, consent, consent_server, trackers):
            assert consent_server.url == "{staging.url}"
            page.goto(site_url)
            assert consent.state(page)["categories"] == ["essential", "statistics"]
            trackers.assert_only("essential", "statistics")
            with pytest.raises(ConsentServerError, match="not one"):
                consent_server.records()
        """
    )
    run(pytester, f"--consent-server={staging.url}").assert_outcomes(passed=1)
    records = ConsentUI.state(staging.app).store.export(date(2000, 1, 1), date(2100, 1, 1))
    assert [(r["action"], r["categories"], r["agent"]) for r in records] == [
        ("custom", ["essential", "statistics"], "qa")
    ]


def test_consent_policy_option_and_the_states_it_makes(pytester: pytest.Pytester) -> None:
    policy = pytester.path / "shop-policy.toml"
    policy.write_text(
        BUILTIN_POLICY.read_text().split("[categories.statistics]")[0]
        + '[categories.ads]\nlabel = { en = "Ads", fr = "Pubs" }\n'
        + 'description = { en = "Ads.", fr = "Pubs." }\n'
    )
    pytester.makepyfile(
        """
        def test_states(consent_state, consent_server):
            assert consent_server.policy.keys == ("essential", "ads")
            assert consent_state.categories in [(), ("ads",)]
        """
    )
    result = run(pytester, "--consent-policy=shop-policy.toml", "-v")
    result.assert_outcomes(passed=4)
    ids = re.findall(r"test_states\[(consent=[a-z]+)-chromium\] PASSED", result.stdout.str())
    assert ids == ["consent=none", "consent=reject", "consent=accept", "consent=ads"]
    bad = run(pytester, "--consent-policy=missing.toml")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*consent-ui: */missing.toml: cannot be read*"])
