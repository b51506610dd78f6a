"""The snippet under a strict nonce-based Content-Security-Policy (issue 4).

tests/browser/pages/csp.html is served with script-src 'nonce-…' plus the consent
origin, and style-src without 'unsafe-inline'. The consent UI (banner, placeholder,
dialog) must cause no violation; a gated inline script carrying the page's nonce runs
after consent, one without it stays blocked by the browser (that one violation, and
the console error that goes with it, are expected).
"""

from __future__ import annotations


def test_a_strict_csp_page(origin, consent_server, page, ui):
    ui.record_changes()
    page.goto(origin + "/t/csp.html")
    ui.banner().wait_for(state="visible")
    assert page.locator("[data-consent-placeholder]").is_visible()
    ui.open_preferences()

    assert page.evaluate("window.violations") == []

    ui.decide("accept-all", "[data-consent-preferences]")
    ui.wait_for_runs("statistics")  # the last gated script: the two inline ones came first
    page.frame_locator("iframe").locator("body.partner-video").wait_for()
    ui.wait_for("window.violations.length")

    assert page.evaluate("window.noncedRuns") == 1
    assert page.evaluate("window.unnoncedRuns") is None
    assert ui.runs() == {"statistics": 1}
    assert page.evaluate("window.violations") == [
        {"directive": "script-src-elem", "blocked": "inline", "id": "without-nonce"}
    ]
