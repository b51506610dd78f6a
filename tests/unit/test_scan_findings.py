"""From observations to findings: the contract's codes, severities and messages."""

from __future__ import annotations

from consent_ui.observe import Observation, SetBy
from consent_ui.policy import load_policy
from consent_ui.scan.findings import assess
from consent_ui.scan.visit import PageScan, Visit

PAGE = "https://shop.test/"
GA = SetBy("script", "https://shop.test/ga.js")
PAGE_RESPONSE = SetBy("response", PAGE)


def cookie(name: str, by: SetBy | None = GA, domain: str = "shop.test") -> Observation:
    return Observation("cookie", name, domain, by)


def page(before=(), rejected=(), accepted=(), url: str = PAGE) -> PageScan:
    scan = PageScan(url=url, status=200, title="Shop", consent_base="https://consent.test")
    for state, seen in (("before", before), ("rejected", rejected), ("accepted", accepted)):
        scan.visits[state] = Visit(state, list(seen))
    return scan


def codes(assessment) -> list[tuple[str, str, str, str | None]]:
    return [(f.code, f.kind, f.name, f.state) for f in assessment.findings if f.code != "unused"]


def test_a_well_gated_site_has_no_error_or_warning() -> None:
    policy = load_policy()
    session = cookie("session", PAGE_RESPONSE)
    result = assess(
        policy,
        [
            page(
                before=[session],
                rejected=[session, cookie("consent")],
                accepted=[session, cookie("_ga")],
            )
        ],
    )
    assert codes(result) == []
    assert not result.failed
    assert {i.name: sorted(i.states) for i in result.items} == {
        "session": ["accepted", "before", "rejected"],
        "consent": ["rejected"],
        "_ga": ["accepted"],
    }


def test_each_finding_of_a_leaky_site() -> None:
    policy = load_policy()
    fbq = SetBy("page", PAGE)
    pixel = Observation(
        "request", "https://connect.facebook.net/en_US/fbevents.js", "connect.facebook.net", fbq
    )
    profile = Observation("localStorage", "visitor_profile", "shop.test", SetBy("inline", PAGE))
    result = assess(
        policy,
        [
            page(
                before=[cookie("_ga"), cookie("ab_test", PAGE_RESPONSE), profile, pixel],
                rejected=[cookie("_ga"), pixel],
                accepted=[cookie("_ga"), pixel],
            )
        ],
    )
    assert codes(result) == [
        ("before-consent", "cookie", "_ga", "before"),
        ("before-consent", "cookie", "ab_test", "before"),
        ("before-consent", "localStorage", "visitor_profile", "before"),
        ("before-consent", "request", "https://connect.facebook.net/en_US/fbevents.js", "before"),
        ("after-reject", "cookie", "_ga", "rejected"),
        ("after-reject", "request", "https://connect.facebook.net/en_US/fbevents.js", "rejected"),
        ("undeclared", "cookie", "ab_test", "before"),
        ("undeclared", "localStorage", "visitor_profile", "before"),
    ]
    assert result.failed
    by_name = {(f.code, f.name): f for f in result.findings}
    assert by_name["before-consent", "_ga"].severity == "error"
    assert by_name["before-consent", "_ga"].message == (
        "cookie “_ga” on shop.test (statistics (Google Analytics)) is set before any choice, "
        'by the script https://shop.test/ga.js: mark that script type="text/plain" '
        'data-consent="statistics".'
    )
    assert "the HTTP response of https://shop.test/ (Set-Cookie)" in (
        by_name["before-consent", "ab_test"].message
    )
    assert by_name["undeclared", "visitor_profile"].severity == "warning"
    assert (
        "an inline script of https://shop.test/" in by_name["undeclared", "visitor_profile"].message
    )
    assert "marketing (Meta Pixel)" in by_name["after-reject", pixel.name].message
    assert by_name["after-reject", pixel.name].page == PAGE


def test_requests_to_undeclared_hosts_are_items_not_findings() -> None:
    cdn = Observation("request", "https://cdn.test/lib.js", "cdn.test", SetBy("page", PAGE))
    result = assess(load_policy(), [page(before=[cdn], rejected=[cdn], accepted=[cdn])])
    assert codes(result) == []
    assert [(i.kind, i.classification.declared) for i in result.items] == [("request", False)]


def test_errors_are_per_page_and_an_undeclared_item_is_reported_once() -> None:
    leak = cookie("ab_test", PAGE_RESPONSE)
    pages = [page(before=[leak]), page(before=[leak], url="https://shop.test/b")]
    result = assess(load_policy(), pages)
    assert [(f.code, f.page) for f in result.findings if f.code != "unused"] == [
        ("before-consent", "https://shop.test/"),
        ("before-consent", "https://shop.test/b"),
        ("undeclared", "https://shop.test/"),
    ]


def test_declarations_no_visit_saw_are_unused_infos() -> None:
    policy = load_policy()
    result = assess(policy, [page(before=[cookie("session", PAGE_RESPONSE)])])
    unused = {(f.kind, f.name) for f in result.findings if f.code == "unused"}
    assert ("cookie", "session") not in unused
    assert {
        ("cookie", "_ga"),
        ("cookie", "_ga_*"),
        ("cookie", "_fbp"),
        ("cookie", "lang"),
    } <= unused
    assert ("storage", "recent_searches") in unused
    assert ("request", "connect.facebook.net") in unused
    assert all(f.severity == "info" and f.page is None for f in result.findings)
    assert not result.failed
    message = next(f.message for f in result.findings if f.name == "_fbp")
    assert message == (
        "the policy declares the cookie “_fbp” (Meta Pixel, marketing) but no visit saw it: "
        "remove it, or check that the service still runs."
    )


def test_a_host_glob_is_used_by_any_host_it_matches() -> None:
    hit = Observation(
        "request", "https://region1.google-analytics.com/g/collect", "region1.google-analytics.com"
    )
    result = assess(load_policy(), [page(accepted=[hit])])
    unused_hosts = {f.name for f in result.findings if f.code == "unused" and f.kind == "request"}
    assert "*.google-analytics.com" not in unused_hosts
    assert "www.google-analytics.com" in unused_hosts
