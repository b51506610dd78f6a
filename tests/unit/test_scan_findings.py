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
        "cookie “_ga” on shop.test (Statistics (Google Analytics)) is set before any choice, "
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
    assert "Marketing (Meta Pixel)" in by_name["after-reject", pixel.name].message
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
        "the policy declares the cookie “_fbp” (Meta Pixel, Marketing) but no visit saw it: "
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


PIXEL = "https://connect.facebook.net/en_US/fbevents.js"


def leaky_site() -> list[PageScan]:
    """The leaky page of test_each_finding_of_a_leaky_site."""
    pixel = Observation("request", PIXEL, "connect.facebook.net", SetBy("page", PAGE))
    profile = Observation("localStorage", "visitor_profile", "shop.test", SetBy("inline", PAGE))
    return [
        page(
            before=[cookie("_ga"), cookie("ab_test", PAGE_RESPONSE), profile, pixel],
            rejected=[cookie("_ga"), pixel],
            accepted=[cookie("_ga"), pixel],
        )
    ]


#: Each kind of message in French: real sentences, the policy's French labels.
FRENCH = {
    ("before-consent", "_ga"): (
        "Avant tout choix, le script https://shop.test/ga.js dépose le cookie « _ga » de "
        "shop.test (Statistiques (Google Analytics)) : marquez ce script avec "
        'type="text/plain" data-consent="statistics".'
    ),
    ("before-consent", "visitor_profile"): (
        "Avant tout choix, un script intégré à https://shop.test/ dépose la clé localStorage "
        "« visitor_profile » de shop.test, que la politique ne déclare pas : si le site en a "
        "besoin, déclarez ce traceur comme essentiel ; sinon, soumettez au consentement ce qui "
        "le dépose."
    ),
    ("before-consent", PIXEL): (
        f"Avant tout choix, la page https://shop.test/ envoie une requête vers {PIXEL} "
        "(Marketing (Meta Pixel)) : ne chargez ce qui fait cet appel qu’avec le consentement "  # noqa: RUF001
        '(data-consent="marketing").'
    ),
    ("after-reject", "_ga"): (
        "Après « Tout refuser », le navigateur garde encore le cookie « _ga » de shop.test "
        "(Statistiques (Google Analytics)), que dépose le script https://shop.test/ga.js : "
        "rien de la catégorie « Statistiques » ne doit s’exécuter sans consentement."  # noqa: RUF001
    ),
    ("after-reject", PIXEL): (
        f"Après « Tout refuser », la page https://shop.test/ envoie encore une requête vers "
        f"{PIXEL} (Marketing (Meta Pixel)) : rien de la catégorie « Marketing » ne doit "
        "s’exécuter sans consentement."  # noqa: RUF001
    ),
    ("undeclared", "ab_test"): (
        "Lors de la visite « before » de https://shop.test/, la réponse HTTP de "
        "https://shop.test/ (Set-Cookie) dépose le cookie « ab_test » de shop.test, que la "
        "politique ne déclare pas : ajoutez ce traceur au service qui le dépose (consent-ui "
        "scan --suggest en rédige la déclaration)."
    ),
    ("unused", "_fbp"): (
        "La politique déclare le cookie « _fbp » (Meta Pixel, Marketing), mais aucune visite "
        "ne l’a vu : retirez-le, ou vérifiez que le service fonctionne toujours."  # noqa: RUF001
    ),
    ("unused", "recent_searches"): (
        "La politique déclare la clé de stockage « recent_searches » (Recommandations, "
        "Personnalisation), mais aucune visite ne l’a vue : retirez-la, ou vérifiez que le "  # noqa: RUF001
        "service fonctionne toujours."
    ),
    ("unused", "www.facebook.com"): (
        "La politique déclare l’hôte www.facebook.com (Meta Pixel, Marketing), mais aucune "  # noqa: RUF001
        "visite ne l’a appelé : retirez-le, ou vérifiez que le service fonctionne toujours."  # noqa: RUF001
    ),
}


def test_each_message_in_french() -> None:
    result = assess(load_policy(), leaky_site(), "fr")
    by_name = {(f.code, f.name): f.message for f in result.findings}
    for key, french in FRENCH.items():
        assert by_name[key] == french


def test_only_the_messages_change_with_the_language() -> None:
    english, french = (assess(load_policy(), leaky_site(), lang) for lang in ("en", "fr"))

    def fields(f):
        return (f.code, f.severity, f.kind, f.name, f.domain, f.page, f.state)

    assert [fields(f) for f in french.findings] == [fields(f) for f in english.findings]
    assert [i.to_json() for i in french.items] == [i.to_json() for i in english.items]
    assert not {f.message for f in english.findings} & {f.message for f in french.findings}
    assert french.failed
    assert english.failed
