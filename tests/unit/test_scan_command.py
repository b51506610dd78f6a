"""``consent-ui scan``'s command line without a browser: ``scanner.run`` is replaced by
one that returns a known scan, so what is tested is the options' way to the report."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask

from consent_ui.cli import consent
from consent_ui.observe import Observation, SetBy
from consent_ui.policy import load_policy
from consent_ui.scan import scanner
from consent_ui.scan.findings import assess
from consent_ui.scan.report import Scan
from consent_ui.scan.visit import STATES, PageScan, Visit

PAGE = "https://shop.test/"


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What the command asked ``scanner.run`` for; the scan: one page setting _ga early."""
    seen: dict[str, Any] = {}

    def run(urls: list[str], **options: Any) -> Scan:
        seen.update(options, urls=urls)
        policy = load_policy()
        ga = Observation("cookie", "_ga", "shop.test", SetBy("script", PAGE + "ga.js"))
        page = PageScan(PAGE, 200, "Shop", "https://consent.test")
        page.visits = {s: Visit(s, [ga] if s == "before" else []) for s in STATES}
        return Scan(
            scanned_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
            policy=policy,
            pages=[page],
            assessment=assess(policy, [page], options["lang"]),
            skipped={},
            seconds=3.0,
            lang=options["lang"],
        )

    monkeypatch.setattr(scanner, "run", run)
    return seen


def scan(*args: str) -> Result:
    result = CliRunner().invoke(consent, ["scan", PAGE, *args], prog_name="consent-ui")
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception  # a crash, not an exit status
    return result


def test_lang_fr_reaches_the_text_report_and_the_summary(asked: dict[str, Any]) -> None:
    result = scan("--lang", "fr")

    assert result.exit_code == 1  # an error finding, in any language
    assert asked["lang"] == "fr"
    assert "before-consent (error) : 1\n" in result.stdout
    assert (
        f"  - [before sur {PAGE}] Avant tout choix, le script {PAGE}ga.js dépose le cookie "
        "« _ga » de shop.test (Statistiques (Google Analytics)) : marquez ce script avec "
        'type="text/plain" data-consent="statistics".\n'
    ) in result.stdout
    assert result.stdout.endswith(
        "Résumé : 1 page, 1 élément : 1 erreur, 0 avertissement, 15 informations.\n"
    )
    assert result.stderr.splitlines()[-1] == (
        "consent-ui scan: 1 page, 1 élément : 1 erreur, 0 avertissement, 15 informations"
    )


def test_english_is_the_default(asked: dict[str, Any]) -> None:
    result = scan()

    assert result.exit_code == 1
    assert asked["lang"] == "en"
    assert "before-consent (error): 1\n" in result.stdout
    assert f"  - [before on {PAGE}] cookie “_ga” on shop.test (Statistics" in result.stdout
    assert result.stdout.endswith("Summary: 1 page, 1 item: 1 error, 0 warnings, 15 infos.\n")


def test_lang_fr_json_keeps_the_machine_fields(asked: dict[str, Any]) -> None:
    english = json.loads(scan("--format", "json").stdout)
    french = json.loads(scan("--format", "json", "--lang", "fr").stdout)

    assert french["findings"][0]["message"].startswith("Avant tout choix, le script ")
    assert english["findings"][0]["message"].startswith("cookie “_ga” on shop.test ")
    for report in (english, french):
        for finding in report["findings"]:
            finding.pop("message")
    assert french == english


def test_lang_fr_html(asked: dict[str, Any]) -> None:
    html = scan("--format", "html", "--lang", "fr").stdout

    assert html.startswith('<!doctype html><html lang="fr">')
    assert "<h2>Constats</h2>" in html
    assert asked["screenshots"] is True


def test_a_language_without_catalogue_is_a_usage_error(asked: dict[str, Any]) -> None:
    result = scan("--lang", "de")

    assert result.exit_code == 2
    assert "Invalid value for '--lang': 'de' is not one of 'en', 'fr'." in result.stderr
    assert asked == {}  # nothing was scanned


def test_under_flask_consent_scan_too(asked: dict[str, Any], app: Flask) -> None:
    """``flask consent scan`` runs in the host app's context, whose locale selector needs
    a request: the report's language still comes from --lang alone."""
    with app.app_context():
        result = scan("--lang", "fr")

    assert result.exit_code == 1, result.stderr
    assert "Avant tout choix, le script " in result.stdout
    assert result.stderr.splitlines()[-1].startswith("consent-ui scan: 1 page, 1 élément : ")
