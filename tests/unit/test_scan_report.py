"""The scan's reports: the contract's JSON, JUnit for CI, text and HTML for people."""

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


@pytest.fixture
def scan() -> Scan:
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
        assessment=assess(policy, pages),
        skipped={"https://other.test/": "another site"},
        seconds=12.5,
    )


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
        r"^  cookie +_ga +shop\.test +statistics \(Google Analytics\) +before, rejected, "
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
