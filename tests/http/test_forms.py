"""The pages this server renders and the plain HTML form that works without JavaScript:
CSRF, ``next`` targets, language negotiation, the banner's presence, the cookie
declaration and the Content-Security-Policy the pages must live with."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from werkzeug.test import TestResponse

from consent_ui import create_app
from consent_ui.consent import Consent
from consent_ui.errors import InvalidForm
from consent_ui.extension import ConsentUI
from consent_ui.policy import load_policy
from consent_ui.store.sqlite import SQLiteStore

POLICY = load_policy()
OPTIONAL = [c.key for c in POLICY.categories if not c.required]
REQUIRED = [c.key for c in POLICY.categories if c.required]
PAGES = ["/", "/ads/studio-bastos", "/cookies", "/privacy", "/preferences"]
BANNER_PAGES = ["/", "/ads/studio-bastos", "/cookies", "/privacy"]


# ---- a small DOM over html.parser, enough to read the rendered pages ----


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    children: list[Node] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join("".join(self._texts()).split())

    def _texts(self) -> list[str]:
        out = list(self.parts)
        for child in self.children:
            out.extend(child._texts())
        return out

    def walk(self) -> list[Node]:
        found = [self]
        for child in self.children:
            found.extend(child.walk())
        return found

    def find_all(self, tag: str | None = None, **attrs: Any) -> list[Node]:
        """Elements of ``tag`` whose attributes match; ``True`` means "present"."""

        def ok(node: Node) -> bool:
            if tag and node.tag != tag:
                return False
            for name, want in attrs.items():
                name = name.rstrip("_").replace("_", "-")
                if name not in node.attrs:
                    return False
                if want is not True and node.attrs[name] != want:
                    return False
            return True

        return [n for n in self.walk()[1:] if ok(n)]

    def one(self, tag: str | None = None, **attrs: Any) -> Node:
        found = self.find_all(tag, **attrs)
        assert len(found) == 1, f"expected one {tag} {attrs}, found {len(found)}"
        return found[0]


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].parts.append(data)


def dom(response: TestResponse) -> Node:
    builder = _Builder()
    builder.feed(response.get_data(as_text=True))
    builder.close()
    return builder.root


# ---- helpers ----


def csrf_token(client: FlaskClient, path: str = "/") -> str:
    """The token a rendered page gives its forms (the session cookie comes with it)."""
    response = client.get(path)
    assert response.status_code == 200
    tokens = {n.attrs["value"] for n in dom(response).find_all("input", name="csrf_token")}
    assert len(tokens) == 1, tokens
    return tokens.pop()


def post_choice(
    client: FlaskClient, token: str | None = "from-page", **fields: Any
) -> TestResponse:
    data: dict[str, Any] = {"surface": "banner", "lang": "en", "page": "/", "next": "/", **fields}
    if token == "from-page":
        token = csrf_token(client)
    if token is not None:
        data["csrf_token"] = token
    return client.post("/consent", data=data)


def consent_of(app: Flask, client: FlaskClient) -> Consent | None:
    cookie = client.get_cookie("consent")
    if cookie is None:
        return None
    state = ConsentUI.state(app)
    return state.signer.verify(cookie.value, state.policy)


def set_consent_cookie(response: TestResponse) -> bool:
    return any(h.startswith("consent=") for h in response.headers.getlist("Set-Cookie"))


def assert_html_error(response: TestResponse, status: int, code: str) -> Node:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    page = dom(response)
    message = page.one(data_error_code=code)
    assert message.text
    return page


# ---- POST /consent ----


@pytest.mark.parametrize(
    ("action", "categories", "granted"),
    [
        ("accept_all", [], REQUIRED + OPTIONAL),
        ("reject_all", [], REQUIRED),
        # The form sends one ``category`` field per checked switch; essential is
        # disabled, so the browser never sends it.
        ("custom", ["statistics", "marketing"], [*REQUIRED, "statistics", "marketing"]),
        ("custom", [], REQUIRED),
        # Categories are ignored unless the action is custom.
        ("accept_all", ["statistics"], REQUIRED + OPTIONAL),
    ],
)
def test_form_choice_is_logged_and_redirects(
    app: Flask, client: FlaskClient, store: SQLiteStore, action, categories, granted
):
    response = post_choice(
        client,
        action=action,
        category=categories,
        page="/ads/studio-bastos?utm_source=x#top",
        next="/ads/studio-bastos?utm_source=x",
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/ads/studio-bastos?utm_source=x"
    cookie = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("consent=")]
    assert len(cookie) == 1
    assert "Path=/" in cookie[0]
    assert "SameSite=Lax" in cookie[0]
    assert "HttpOnly" not in cookie[0]
    consent = consent_of(app, client)
    assert consent is not None
    assert list(consent.granted) == [k for k in POLICY.keys if k in granted]
    [row] = store.history(consent.id)
    assert row["action"] == action
    assert row["categories"] == list(consent.granted)
    assert row["surface"] == "banner"
    assert row["page"] == "/ads/studio-bastos"
    assert row["lang"] == "en"
    assert row["text_hash"]
    assert store.count() == 1


def test_preferences_form_logs_surface_and_keeps_the_consent_id(
    app: Flask, client: FlaskClient, store: SQLiteStore
):
    post_choice(client, action="accept_all")
    first = consent_of(app, client)
    token = csrf_token(client, "/preferences?next=/cookies")

    response = post_choice(
        client,
        token=token,
        action="custom",
        category=["personalization"],
        surface="preferences",
        page="/preferences?next=/cookies",
        next="/cookies",
        lang="fr",
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/cookies"
    second = consent_of(app, client)
    assert second.id == first.id
    assert list(second.granted) == [*REQUIRED, "personalization"]
    rows = store.history(first.id)
    assert [r["action"] for r in rows] == ["accept_all", "custom"]
    assert rows[1]["surface"] == "preferences"
    assert rows[1]["page"] == "/preferences"
    assert rows[1]["lang"] == "fr"


def test_unknown_surface_from_a_form_counts_as_banner(
    app: Flask, client: FlaskClient, store: SQLiteStore
):
    post_choice(client, action="reject_all", surface="api")
    [row] = store.history(consent_of(app, client).id)
    assert row["surface"] == "banner"


@pytest.mark.parametrize(
    "token",
    [None, "", "not-a-token", "IjAxZWM3NTRm.awLKEw.mydCDH-P4LvBU_sBnT9zO4N5eKo"],
    ids=["missing", "empty", "garbage", "forged"],
)
def test_csrf_missing_or_wrong_is_refused(client: FlaskClient, store: SQLiteStore, token):
    csrf_token(client)  # a real session exists; only the posted token is wrong
    response = post_choice(client, token=token, action="accept_all")

    assert_html_error(response, 400, "invalid_form")
    assert not set_consent_cookie(response)
    assert store.count() == 0


def test_csrf_token_of_another_session_is_refused(app: Flask, store: SQLiteStore):
    stolen = csrf_token(app.test_client())
    victim = app.test_client()
    csrf_token(victim)

    response = post_choice(victim, token=stolen, action="accept_all")

    assert_html_error(response, 400, "invalid_form")
    assert store.count() == 0


def test_csrf_error_is_localised(app: Flask, client: FlaskClient, store: SQLiteStore):
    client.set_cookie("lang", "fr")
    response = post_choice(client, token=None, action="accept_all")

    page = assert_html_error(response, 400, "invalid_form")
    assert page.one("html").attrs["lang"] == "fr"
    with app.test_request_context(), force_locale("fr"):
        french = InvalidForm().message(gettext)
    english = InvalidForm().message(lambda s: s)
    assert french != english, "InvalidForm has no French translation"
    assert page.one(data_error_code="invalid_form").text == " ".join(french.split())
    # The error page is a full page of the site: the visitor can carry on from it.
    assert page.find_all("a", data_consent_open=True)
    assert store.count() == 0


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "https://evil.example/",
        "//evil.example",
        "//evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "/\\/evil.example",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "http:/x",
        "http:evil.example",
        "evil.example",
        "",
        " /leading-space",
        "/\x00null",
        "/\tevil.example",
        "/\nSet-Cookie: pwned=1",
        "/\r\nLocation: https://evil.example",
        "/\x7fdel",
    ],
    ids=repr,
)
def test_bad_next_falls_back_to_home(client: FlaskClient, store: SQLiteStore, target):
    response = post_choice(client, action="reject_all", next=target, page=target)

    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert "pwned" not in response.headers.get("Set-Cookie", "")
    # The choice itself is valid: it is logged, with no page it could not trust.
    assert store.count() == 1


def test_missing_next_falls_back_to_home(client: FlaskClient):
    token = csrf_token(client)
    response = client.post("/consent", data={"csrf_token": token, "action": "reject_all"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    "target",
    [
        "/",
        "/cookies",
        "/ads/studio-bastos?lang=fr",
        "/?q=toyota&lang=en",
        "/privacy?a=1&b=%2F%2Fevil.example",
        "/ads/maths-tutor#declaration",
    ],
)
def test_good_next_is_kept_with_its_query(client: FlaskClient, target):
    response = post_choice(client, action="accept_all", next=target)
    assert response.status_code == 303
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    ("action", "categories"),
    [("custom", ["tracking"]), ("custom", ["statistics", "STATISTICS"]), ("accept_everything", [])],
)
def test_invalid_choice_from_the_form_is_refused(
    client: FlaskClient, store: SQLiteStore, action, categories
):
    response = post_choice(client, action=action, category=categories)

    code = "unknown_category" if action == "custom" else "invalid_field"
    assert_html_error(response, 400, code)
    assert not set_consent_cookie(response)
    assert store.count() == 0


def test_form_without_action_is_refused(client: FlaskClient, store: SQLiteStore):
    token = csrf_token(client)
    response = client.post("/consent", data={"csrf_token": token, "next": "/"})
    assert_html_error(response, 400, "missing_field")
    assert store.count() == 0


def test_get_consent_is_not_allowed(client: FlaskClient):
    response = client.get("/consent", headers={"Accept": "text/html"})
    assert_html_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


# ---- language ----


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        ("", None, None, "en"),
        ("?lang=fr", None, None, "fr"),
        ("?lang=en", "fr", "fr", "en"),
        ("", "fr", None, "fr"),
        ("", "fr", "en", "fr"),
        ("", None, "fr-CA,fr;q=0.9", "fr"),
        ("", None, "fr-FR", "fr"),
        ("", None, "de-DE,fr;q=0.5", "fr"),
        ("", None, "de", "en"),
        ("", None, "en-GB,en;q=0.9", "en"),
        ("?lang=de", None, None, "en"),
        ("?lang=de", "fr", None, "fr"),
        ("?lang=de", None, "fr", "fr"),
        ("", "de", "fr", "fr"),
    ],
)
def test_language_negotiation(client: FlaskClient, query, cookie, accept, expected):
    if cookie:
        client.set_cookie("lang", cookie)
    headers = {"Accept-Language": accept} if accept else {}
    page = dom(client.get("/" + query, headers=headers))

    assert page.one("html").attrs["lang"] == expected
    ui = page.one(data_consent_ui=True)
    assert ui.attrs["lang"] == expected
    assert page.one("input", name="lang").attrs["value"] == expected
    accept_all = page.one("button", data_consent_action="accept-all").text
    assert accept_all == {"en": "Accept all", "fr": "Tout accepter"}[expected]


def test_default_locale_decides_last(config: dict[str, Any]):
    app = create_app({**config, "CONSENT_DEFAULT_LOCALE": "fr"})
    try:
        client = app.test_client()
        assert dom(client.get("/")).one("html").attrs["lang"] == "fr"
        assert (
            dom(client.get("/", headers={"Accept-Language": "de"})).one("html").attrs["lang"]
            == "fr"
        )
        english = client.get("/", headers={"Accept-Language": "en-US"})
        assert dom(english).one("html").attrs["lang"] == "en"
    finally:
        ConsentUI.state(app).store.close()


@pytest.mark.parametrize("path", PAGES)
def test_lang_query_sets_the_lang_cookie(client: FlaskClient, path):
    response = client.get(path + "?lang=fr")
    [header] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("lang=")]
    assert header.startswith("lang=fr;")
    assert "Path=/" in header
    assert "SameSite=Lax" in header
    # The next page, with no ?lang=, stays in French.
    assert dom(client.get("/privacy")).one("html").attrs["lang"] == "fr"
    # Asking for the language already remembered does not set the cookie again.
    again = client.get(path + "?lang=fr")
    assert not [h for h in again.headers.getlist("Set-Cookie") if h.startswith("lang=")]


def test_unknown_lang_query_sets_no_cookie(client: FlaskClient):
    response = client.get("/?lang=de")
    assert not [h for h in response.headers.getlist("Set-Cookie") if h.startswith("lang=")]


@pytest.mark.parametrize("path", PAGES)
def test_language_switch_keeps_the_page_and_its_query(client: FlaskClient, path):
    page = dom(client.get(path + "?q=toyota&lang=en"))
    en = page.one("a", hreflang="en")
    fr = page.one("a", hreflang="fr")
    assert en.attrs["href"] == f"{path}?q=toyota&lang=en"
    assert fr.attrs["href"] == f"{path}?q=toyota&lang=fr"
    assert en.attrs.get("aria-current") == "true"
    assert "aria-current" not in fr.attrs


# ---- what every page carries ----


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_cookie_management_and_language_switch(client: FlaskClient, path, lang):
    response = client.get(f"{path}?lang={lang}")
    assert response.status_code == 200
    page = dom(response)
    assert page.one("html").attrs["lang"] == lang
    link = page.one("footer").one("a", data_consent_open=True)
    assert link.text == {"en": "Cookie management", "fr": "Gestion des cookies"}[lang]
    assert link.attrs["href"].startswith("/preferences?next=")
    assert page.one("a", hreflang="en").text == "en"
    assert page.one("a", hreflang="fr").text == "fr"


def test_error_pages_have_cookie_management_and_language_switch(client: FlaskClient):
    response = client.get("/ads/no-such-ad?lang=fr")
    page = assert_html_error(response, 404, "not_found")
    assert page.one("html").attrs["lang"] == "fr"
    assert page.one("footer").one("a", data_consent_open=True)
    assert page.one("a", hreflang="en")
    assert page.one("a", hreflang="fr")


def _csp(response: TestResponse) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.parametrize("consented", [False, True], ids=["no-choice", "choice"])
@pytest.mark.parametrize("path", PAGES)
def test_pages_live_with_a_strict_csp(client: FlaskClient, path, consented):
    if consented:
        post_choice(client, action="accept_all")
    response = client.get(path)
    assert response.status_code == 200
    csp = _csp(response)
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
    assert csp["style-src"] == ["'self'"]
    [nonce] = [v[len("'nonce-") : -1] for v in csp["script-src"] if v.startswith("'nonce-")]
    assert csp["form-action"] == ["'self'"]

    body = response.get_data(as_text=True)
    page = dom(response)
    assert not page.find_all("style")
    assert not [n for n in page.walk() if "style" in n.attrs]
    assert not re.search(r"\son[a-z]+\s*=", body), "inline event handler"
    inline = [s for s in page.find_all("script") if "src" not in s.attrs]
    for script in inline:
        # Only gated inline scripts, which the snippet runs with the page's nonce.
        assert script.attrs.get("type") == "text/plain"
        assert script.attrs.get("data-consent") in POLICY.keys
        assert script.attrs.get("nonce") == nonce
    for script in page.find_all("script", src=True):
        assert script.attrs.get("type") in (None, "text/plain")
        assert script.attrs["src"].startswith("/")


def test_gated_scripts_stay_inert_for_every_visitor(client: FlaskClient):
    """The server never turns a gated script on itself: the snippet decides, so a page
    cached or rendered before a choice cannot run a tracker."""
    post_choice(client, action="accept_all")
    page = dom(client.get("/"))
    gated = page.find_all("script", data_consent=True)
    assert {s.attrs["data-consent"] for s in gated} == set(OPTIONAL)
    assert all(s.attrs["type"] == "text/plain" for s in gated)


# ---- the banner ----


@pytest.mark.parametrize("path", BANNER_PAGES)
def test_banner_without_a_choice(client: FlaskClient, path):
    page = dom(client.get(path))
    banner = page.one("section", data_consent_banner=True)
    actions = [b.attrs["data-consent-action"] for b in banner.find_all("button")]
    assert sorted(actions) == ["accept-all", "close", "customise", "reject-all"]
    form = banner.one("form", method="post")
    assert form.attrs["action"] == "/consent"
    assert form.one("input", name="next").attrs["value"] == path
    # The page a banner choice is made on is the one it goes back to: no field for it.
    assert not form.find_all("input", name="page")
    assert form.one("input", name="surface").attrs["value"] == "banner"
    close = banner.one("button", data_consent_action="close")
    assert (close.attrs["name"], close.attrs["value"]) == ("action", "reject_all")
    # Without JavaScript, Customise leads to /preferences and back here.
    customise = banner.one("button", data_consent_action="customise")
    target = page.one("form", id=customise.attrs["form"])
    assert target.attrs["action"] == "/preferences"
    assert target.one("input", name="next").attrs["value"] == path
    # Only the banner is inline; the dialog is fetched when opened.
    assert not page.find_all(data_consent_preferences=True)


def test_banner_next_keeps_the_query(client: FlaskClient):
    banner = dom(client.get("/?q=toyota&lang=en")).one(data_consent_banner=True)
    assert (
        banner.one("form", method="post").one("input", name="next").attrs["value"]
        == "/?q=toyota&lang=en"
    )
    assert not banner.find_all("input", name="page")


def test_a_banner_choice_is_logged_on_the_path_of_next(
    client: FlaskClient, app: Flask, store: SQLiteStore
):
    data = {
        "action": "accept_all",
        "surface": "banner",
        "lang": "en",
        "next": "/ads/studio-bastos?x=1",
    }
    response = client.post("/consent", data={**data, "csrf_token": csrf_token(client)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/ads/studio-bastos?x=1"
    consent = consent_of(app, client)
    assert consent is not None
    [row] = store.history(consent.id)
    assert row["page"] == "/ads/studio-bastos"


@pytest.mark.parametrize("action", ["accept_all", "reject_all"])
@pytest.mark.parametrize("path", BANNER_PAGES)
def test_no_banner_with_a_valid_choice(client: FlaskClient, path, action):
    post_choice(client, action=action)
    page = dom(client.get(path))
    assert not page.find_all(data_consent_banner=True)
    assert page.one("footer").one("a", data_consent_open=True)


@pytest.mark.parametrize("bad", ["garbage", "tampered"])
def test_banner_again_with_an_invalid_cookie(app: Flask, client: FlaskClient, bad):
    post_choice(client, action="accept_all")
    token = client.get_cookie("consent").value
    value = "garbage" if bad == "garbage" else token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    client.set_cookie("consent", value)
    response = client.get("/")
    assert response.status_code == 200
    assert dom(response).one(data_consent_banner=True)


# ---- /preferences, /cookies, /privacy ----


def test_preferences_without_a_choice(client: FlaskClient):
    page = dom(client.get("/preferences?next=/cookies"))
    assert not page.find_all(data_consent_banner=True)
    form = page.one("form", method="post")
    assert form.attrs["action"] == "/consent"
    assert form.one("input", name="surface").attrs["value"] == "preferences"
    assert form.one("input", name="next").attrs["value"] == "/cookies"
    boxes = {b.attrs["value"]: b for b in form.find_all("input", name="category")}
    assert list(boxes) == list(POLICY.keys)
    for key, box in boxes.items():
        assert box.attrs["type"] == "checkbox"
        assert box.attrs.get("role") == "switch"
        assert ("checked" in box.attrs) == (key in REQUIRED)
        assert ("disabled" in box.attrs) == (key in REQUIRED)
        label = page.one("label", for_=box.attrs["id"])
        assert label.text == POLICY.category(key).label("en")
    assert "hidden" in page.one(data_consent_since=True).attrs
    assert page.one(data_consent_id=True).text == ""
    actions = sorted(b.attrs["data-consent-action"] for b in form.find_all("button"))
    assert actions == ["accept-all", "reject-all", "save"]
    # No dialog close button on the full page: "Back" is a plain link.
    assert not form.find_all(data_consent_dismiss=True)
    in_form = {id(n) for n in form.walk()}
    back = [a for a in page.one("main").find_all("a", href="/cookies") if id(a) not in in_form]
    assert len(back) == 1


def test_preferences_show_the_current_choice(app: Flask, client: FlaskClient):
    post_choice(client, action="custom", category=["statistics", "marketing"])
    consent = consent_of(app, client)

    page = dom(client.get("/preferences"))

    assert not page.find_all(data_consent_banner=True)
    assert page.one(data_consent_id=True).text == consent.id
    assert "hidden" not in page.one(data_consent_since=True).attrs
    checked = {b.attrs["value"] for b in page.find_all("input", name="category", checked=True)}
    assert checked == {*REQUIRED, "statistics", "marketing"}


def test_preferences_bad_next_is_not_rendered(client: FlaskClient):
    page = dom(client.get("/preferences?next=//evil.example"))
    assert page.one("input", name="next").attrs["value"] == "/"
    assert not page.find_all("a", href="//evil.example")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_cookie_declaration_is_generated_from_the_policy(client: FlaskClient, lang):
    page = dom(client.get(f"/cookies?lang={lang}"))
    assert page.one("html").attrs["lang"] == lang
    for category in POLICY.categories:
        heading = page.one("h3", id=f"cat-{category.key}")
        assert heading.text.startswith(category.label(lang))
        declared = [d.name for d in (*category.cookies, *category.storage)]
        tables = page.find_all("table", data_declaration=category.key)
        if not declared:
            assert not tables
            continue
        [table] = tables
        rows = table.one("tbody").find_all("tr")
        names = [row.one("th", scope="row").text for row in rows]
        assert sorted(names) == sorted(declared)
        by_name = {row.one("th", scope="row").text: row for row in rows}
        for service in category.services:
            for d in (*service.cookies, *service.storage):
                cells = [c.text for c in by_name[d.name].find_all("td")]
                assert service.name(lang) in cells[1]
                assert service.provider(lang) == cells[2]
                assert cells[3] == (d.duration(lang) if d.duration else "—")
                assert cells[4] == (d.purpose(lang) if d.purpose else "—")


def test_cookie_declaration_covers_every_declared_name(client: FlaskClient):
    body = dom(client.get("/cookies")).text
    names = [d.name for c in POLICY.categories for d in (*c.cookies, *c.storage)]
    assert names, "the built-in policy declares cookies"
    for name in names:
        assert name in body


def test_privacy_notice_in_both_languages(client: FlaskClient):
    pages = {lang: dom(client.get(f"/privacy?lang={lang}")) for lang in ("en", "fr")}
    for lang, page in pages.items():
        assert page.one("html").attrs["lang"] == lang
        assert POLICY.controller.email in page.text
        assert page.one("main").find_all("a", href="/cookies")
        assert page.one("main").find_all("a", href="/api/consent/history")
    assert pages["en"].one("h1").text == "Privacy notice"
    assert pages["fr"].one("h1").text != "Privacy notice"
    assert pages["en"].one("main").text != pages["fr"].one("main").text


@pytest.mark.parametrize("body", ["false", "1", "[]", "null", '"x"', '{"action": "accept_all"}'])
def test_the_form_reads_only_form_fields(client: FlaskClient, store: SQLiteStore, body):
    """flask-wtf reads a JSON body as the form's data: ``false`` answered 500 (found by
    the fuzz suite). A plain HTML form sends form fields; JSON belongs to the API."""
    csrf_token(client)
    response = client.post("/consent", data=body, content_type="application/json")
    assert_html_error(response, 400, "invalid_form")
    assert store.count() == 0
