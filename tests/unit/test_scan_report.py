"""The scan's reports: the contract's JSON, JUnit for CI, text and HTML for people, in
English or French (the machine fields the same in both)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from consent_ui.observe import Observation, SetBy
from consent_ui.policy import load_policy
from consent_ui.scan.findings import assess
from consent_ui.scan.report import Scan, to_html, to_json, to_junit, to_text
from consent_ui.scan.visit import PageScan, Visit

PAGE = "https://shop.test/"
GA = SetBy("script", "https://shop.test/ga.js")


def made(lang: str) -> Scan:
    """Two pages: one leaking _ga and an undeclared key, one without the snippet."""
    policy = load_policy()
    ga = Observation("cookie", "_ga", "shop.test", GA)
    hostile = Observation("localStorage", "<img src=x onerror=alert(1)>", "shop.test", None)
    first = PageScan(PAGE, 200, "Shop <b>home</b>", "https://consent.test")
    first.visits = {
        "before": Visit("before", [ga, hostile], screenshot=b"\xff\xd8before"),
        "rejected": Visit("rejected", [ga], screenshot=b"\xff\xd8rejected"),
        "accepted": Visit("accepted", [ga], screenshot=b"\xff\xd8accepted"),
    }
    second = PageScan(PAGE + "plain", 200, "Plain", None)
    second.visits = {
        "before": Visit("before", []),
        "rejected": Visit("rejected", skipped="this page does not load consent-ui"),
        "accepted": Visit("accepted", skipped="this page does not load consent-ui"),
    }
    pages = [first, second]
    return Scan(
        scanned_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        policy=policy,
        pages=pages,
        assessment=assess(policy, pages, lang),
        skipped={"https://other.test/": "another site"},
        seconds=12.5,
        lang=lang,
    )


@pytest.fixture
def scan() -> Scan:
    return made("en")


@pytest.fixture
def french() -> Scan:
    return made("fr")


def test_the_json_report_has_the_contract_shape(scan: Scan) -> None:
    report = json.loads(to_json(scan))
    assert set(report) == {"scanned_at", "policy_revision", "pages", "items", "findings"}
    assert report["scanned_at"] == "2026-12-01T09:30:00Z"
    assert report["policy_revision"] == 1
    assert report["pages"][0] == {
        "url": PAGE,
        "status": 200,
        "title": "Shop <b>home</b>",
        "loads_consent_ui": True,
        "consent_server": "https://consent.test",
        "states": ["before", "rejected", "accepted"],
        "skipped": {},
    }
    assert report["pages"][1]["states"] == ["before"]
    assert report["items"][0] == {
        "kind": "cookie",
        "name": "_ga",
        "domain": "shop.test",
        "category": "statistics",
        "service": "Google Analytics",
        "states": ["before", "rejected", "accepted"],
        "set_by": {"type": "script", "url": "https://shop.test/ga.js"},
    }
    assert report["items"][1]["category"] is None
    assert report["items"][1]["service"] is None
    assert report["items"][1]["set_by"] is None
    for finding in report["findings"]:
        assert set(finding) == {
            "code",
            "severity",
            "kind",
            "name",
            "domain",
            "page",
            "state",
            "message",
        }
    assert [(f["code"], f["severity"], f["state"]) for f in report["findings"][:4]] == [
        ("before-consent", "error", "before"),
        ("before-consent", "error", "before"),
        ("after-reject", "error", "rejected"),
        ("undeclared", "warning", "before"),
    ]


def test_junit_has_a_case_per_page_and_state_and_a_failure_per_error(scan: Scan) -> None:
    suite = ET.fromstring(to_junit(scan))
    assert suite.tag == "testsuite"
    cases = suite.findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        (PAGE, "before"),
        (PAGE, "rejected"),
        (PAGE, "accepted"),
        (PAGE + "plain", "before"),
        (PAGE + "plain", "rejected"),
        (PAGE + "plain", "accepted"),
        ("policy", "declarations"),
    ]
    failures = {(c.get("name"), f.get("type")) for c in cases for f in c.findall("failure")}
    assert failures == {("before", "before-consent"), ("rejected", "after-reject")}
    assert len(cases[0].findall("failure")) == 2
    assert cases[4].find("skipped").get("message") == "this page does not load consent-ui"
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("7", "3", "2")
    assert "undeclared" in cases[0].find("system-out").text
    assert "unused" in cases[-1].find("system-out").text


def test_the_text_report_groups_by_finding(scan: Scan) -> None:
    text = to_text(scan)
    assert text.index("before-consent (error): 2") < text.index("after-reject (error): 1")
    assert text.index("after-reject (error): 1") < text.index("undeclared (warning): 1")
    assert text.index("undeclared (warning): 1") < text.index("unused (info):")
    assert "  - [before on https://shop.test/] cookie “_ga” on shop.test" in text
    assert re.search(
        r"^  cookie +_ga +shop\.test +Statistics \(Google Analytics\) +before, rejected, "
        r"accepted +the script https://shop\.test/ga\.js$",
        text,
        re.MULTILINE,
    )
    assert re.search(r"^  localStorage +<img src=x onerror=alert\(1\)> .* undeclared ", text, re.M)
    assert "https://shop.test/plain (200) (rejected: this page does not load consent-ui;" in text
    assert "Links not followed: 1 to another site." in text
    assert text.endswith("infos.\n")


def test_the_html_report_embeds_the_screenshots_and_escapes_the_site(scan: Scan) -> None:
    html = to_html(scan)
    assert html.count('src="data:image/jpeg;base64,') == 3
    assert "/9hiZWZvcmU=" in html  # b"\xff\xd8before"
    assert "<img src=x onerror" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Shop &lt;b&gt;home&lt;/b&gt;" in html
    assert "not visited (this page does not load consent-ui)" in html


GA_BEFORE_FR = (
    "Avant tout choix, le script https://shop.test/ga.js dépose le cookie « _ga » de "
    "shop.test (Statistiques (Google Analytics)) : marquez ce script avec "
    'type="text/plain" data-consent="statistics".'
)


def test_the_french_text_report(french: Scan) -> None:
    lines = to_text(french).splitlines()
    assert lines[0].startswith(
        "Analyse consent-ui de 2 pages (visites before, rejected, accepted pour chacune), "
        "révision 1 de la politique, lue dans "
    )
    assert lines[0].endswith(", en 12,5 s")
    assert lines[2:4] == ["before-consent (error) : 2", f"  - [before sur {PAGE}] {GA_BEFORE_FR}"]
    assert "after-reject (error) : 1" in lines
    assert "undeclared (warning) : 1" in lines
    assert "unused (info) : 15" in lines
    assert "Ce que les pages stockent et appellent :" in lines
    assert re.search(
        r"^  TYPE +NOM +DOMAINE +CATÉGORIE \(SERVICE\) +ÉTATS +DÉPOSÉ PAR$",
        "\n".join(lines),
        re.MULTILINE,
    )
    assert re.search(
        r"^  cookie +_ga +shop\.test +Statistiques \(Google Analytics\) +before, rejected, "
        r"accepted +le script https://shop\.test/ga\.js$",
        "\n".join(lines),
        re.MULTILINE,
    )
    assert re.search(
        r"^  localStorage +<img .* non déclaré +before +inconnu$", "\n".join(lines), re.M
    )
    assert "Pages :" in lines
    assert "Liens non suivis : 1 vers un autre site." in lines
    assert (
        lines[-1] == "Résumé : 2 pages, 2 éléments : 3 erreurs, 1 avertissement, 15 informations."
    )


def test_the_french_html_report(french: Scan) -> None:
    html = to_html(french)
    assert html.startswith('<!doctype html><html lang="fr">')
    summary = "2 pages, 2 éléments : 3 erreurs, 1 avertissement, 15 informations"
    assert f"<title>Analyse consent-ui : {summary}</title>" in html
    assert "<h1>Analyse consent-ui</h1>" in html
    assert "<h2>Constats</h2>" in html
    assert "<h2>Ce que les pages stockent et appellent</h2>" in html
    assert (
        f'<li><code>before</code> sur <a href="{PAGE}">{PAGE}</a> : '
        + GA_BEFORE_FR.replace('"', "&#34;")
        + "</li>"
    ) in html
    assert '<th scope="col">Catégorie (service)</th><th scope="col">États</th>' in html
    assert "révision 1 de la politique, lue dans <code>" in html
    assert " · 12,5 s</p>" in html
    assert "consent-ui servi par <code>https://consent.test</code>" in html
    assert "<figcaption><strong>before</strong> : 2 éléments</figcaption>" in html
    assert "<figcaption><strong>rejected</strong> : 1 élément</figcaption>" in html
    assert 'alt="La page, visite before"' in html
    # The French sentences do not let the site's markup through either.
    assert "<img src=x onerror" not in html
    assert "« &lt;img src=x onerror=alert(1)&gt; »" in html
    assert "Shop &lt;b&gt;home&lt;/b&gt;" in html


def test_the_french_junit_report(french: Scan) -> None:
    suite = ET.fromstring(to_junit(french))
    before = suite.findall("testcase")[0]
    failure = before.findall("failure")[0]
    assert failure.get("type") == "before-consent"
    assert failure.get("message") == GA_BEFORE_FR
    assert failure.text == f"before-consent : cookie _ga sur shop.test\n{GA_BEFORE_FR}"
    assert before.find("system-out").text == (
        f"undeclared : Lors de la visite « before » de {PAGE}, un script inconnu (le "
        "navigateur ne le dit pas) dépose la clé localStorage « <img src=x onerror=alert(1)> » "
        "de shop.test, que la politique ne déclare pas : ajoutez ce traceur au service qui le "
        "dépose (consent-ui scan --suggest en rédige la déclaration)."
    )
    policy = suite.findall("testcase")[-1]
    assert policy.find("system-out").text.startswith(
        "unused : La politique déclare le cookie « session » (Site de petites annonces, "
        "Essentiels), mais aucune visite ne l’a vu : retirez-le, ou vérifiez que le service "  # noqa: RUF001
        "fonctionne toujours.\n"
    )
    english = ET.fromstring(to_junit(made("en")))
    assert [(c.get("classname"), c.get("name")) for c in suite] == [
        (c.get("classname"), c.get("name")) for c in english
    ]
    assert [f.get("type") for f in suite.iter("failure")] == [
        f.get("type") for f in english.iter("failure")
    ]
    assert {k: suite.get(k) for k in ("name", "tests", "failures", "skipped")} == {
        k: english.get(k) for k in ("name", "tests", "failures", "skipped")
    }


def test_only_the_json_messages_change_with_the_language(scan: Scan, french: Scan) -> None:
    english, report = json.loads(to_json(scan)), json.loads(to_json(french))
    assert report["findings"][0]["message"] == GA_BEFORE_FR
    assert all(
        e["message"] != f["message"]
        for e, f in zip(english["findings"], report["findings"], strict=True)
    )
    for r in (english, report):
        for finding in r["findings"]:
            del finding["message"]
    assert report == english  # codes, severities, kinds, states, keys, items, pages
