"""The operator dashboard over HTTP: no dashboard without a password hash, the login
(CSRF, wrong password, throttling per address prefix held in the log's database, the
session cookie and its lifetime), every route without a session, the figures, charts
and tables of a hand-made log, the exports, the consent pages and the erasure with its
audit row. Bad input is a 4xx and writes nothing."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash
from werkzeug.test import TestResponse

from consent_ui import create_app
from consent_ui.extension import ConsentUI
from consent_ui.store import COLUMNS, HISTORY_COLUMNS
from consent_ui.store.sqlite import SQLiteStore
from tests.conftest import assert_error
from tests.http.test_forms import Node, dom
from tests.logs import ALICE, BANNER, BOB, EXPECTED, PREFERENCES, TEXTS, fill

PASSWORD = "correct horse battery staple"
#: A cheap hash: the tests log in often (production hashes use werkzeug's default).
HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
NOW = datetime(2026, 11, 5, 12, 0, 0, tzinfo=UTC)
PERIOD = "from=2026-11-01&to=2026-11-05"
UNKNOWN = "99999999-9999-4999-8999-999999999999"


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def admin_config(config: dict[str, Any]) -> dict[str, Any]:
    return {**config, "CONSENT_ADMIN_PASSWORD_HASH": HASH}


@pytest.fixture
def admin_app(admin_config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(admin_config)
    fill(ConsentUI.state(app).store)
    yield app
    ConsentUI.state(app).store.close()


@pytest.fixture
def log(admin_app: Flask) -> SQLiteStore:
    return ConsentUI.state(admin_app).store


def token_of(response: TestResponse) -> str:
    tokens = {n.attrs["value"] for n in dom(response).find_all("input", name="csrf_token")}
    assert len(tokens) == 1, tokens
    return tokens.pop()


class AdminActions:
    """The operator's repeated steps, in the spirit of flaskr's AuthActions."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def token(self) -> str:
        return token_of(self.client.get("/admin/login"))

    def login(self, password: str = PASSWORD, **fields: Any) -> TestResponse:
        data = {"csrf_token": self.token(), "password": password, **fields}
        return self.client.post("/admin/login", data=data)

    def page_token(self, path: str = "/admin/consents") -> str:
        return token_of(self.client.get(path))

    def logout(self) -> TestResponse:
        return self.client.post("/admin/logout", data={"csrf_token": self.page_token()})

    def anonymise(self, consent_id: str, **fields: Any) -> TestResponse:
        data = {"csrf_token": self.page_token(), "confirm": "yes", **fields}
        return self.client.post(f"/admin/consents/{consent_id}/anonymise", data=data)


@pytest.fixture
def operator(admin_app: Flask) -> AdminActions:
    return AdminActions(admin_app.test_client())


@pytest.fixture
def signed_in(operator: AdminActions) -> FlaskClient:
    assert operator.login().status_code == 303
    return operator.client


def acts(log: SQLiteStore) -> list[dict[str, Any]]:
    """The audit trail but the sessions' logins and logouts."""
    return [row for row in log.audit_trail() if row["action"] not in ("login", "logout")]


def text(response: TestResponse) -> str:
    return dom(response).text


# ---- no password hash, no dashboard ----


@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/login", "/admin/api/stats", "/admin/consents", "/admin/admin.css"]
)
def test_without_a_password_hash_there_is_no_dashboard(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404
    assert client.post("/admin/login", data={"password": "x"}).status_code == 404


# ---- every route without a session ----

PAGES = [
    "/admin/",
    f"/admin/?{PERIOD}",
    "/admin/stats.csv",
    "/admin/export.csv",
    "/admin/consents",
    f"/admin/consents?id={ALICE}",
    f"/admin/consents/{ALICE}",
    f"/admin/consents/{ALICE}.json",
    f"/admin/consents/{ALICE}.csv",
    "/admin/not-a-page",
]


@pytest.mark.parametrize("path", PAGES)
def test_pages_without_a_session_go_to_the_login(
    operator: AdminActions, log: SQLiteStore, path: str
) -> None:
    response = operator.client.get(path)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/admin/login?next=")
    assert acts(log) == [], "an export without a session wrote nothing"


@pytest.mark.parametrize("path", ["/admin/logout", f"/admin/consents/{ALICE}/anonymise"])
def test_posts_without_a_session_go_to_the_login(
    operator: AdminActions, log: SQLiteStore, path: str
) -> None:
    response = operator.client.post(path, data={"confirm": "yes"})
    assert (response.status_code, response.headers["Location"]) == (303, "/admin/login")
    assert len(log.history(ALICE)) == 2


@pytest.mark.parametrize("path", ["/admin/api/stats", f"/admin/api/stats?{PERIOD}", "/admin/api/x"])
def test_the_api_without_a_session_is_401_json(operator: AdminActions, path: str) -> None:
    error = assert_error(operator.client.get(path), 401, "login_required")
    assert error["message"] == "Log in to the operator dashboard first."


@pytest.mark.parametrize(
    "cookie",
    [
        "forged",
        "Im9wZXJhdG9yIg.aw9Inw.pO-GkPjBtNgpTu0ygFfglHperJo",  # signed with another key
        "x" * 600,
    ],
)
def test_a_bad_session_cookie_is_no_session(operator: AdminActions, cookie: str) -> None:
    operator.client.set_cookie("consent_admin", cookie, path="/admin")
    assert operator.client.get("/admin/").status_code == 303
    assert operator.client.get("/admin/api/stats").status_code == 401


def test_the_login_page_and_its_stylesheet_are_public(operator: AdminActions) -> None:
    page = operator.client.get("/admin/login")
    assert page.status_code == 200
    form = dom(page).one("form", action="/admin/login")
    assert form.one("input", name="password").attrs["type"] == "password"
    css = dom(page).one("link", rel="stylesheet").attrs["href"]
    assert css.startswith("/admin/admin.css?v=")
    sheet = operator.client.get(css)
    assert (sheet.status_code, sheet.mimetype) == (200, "text/css")
    assert sheet.headers["Cache-Control"] == "public, max-age=31536000"


# ---- login ----


def test_the_right_password_opens_a_session(operator: AdminActions) -> None:
    response = operator.login()
    assert (response.status_code, response.headers["Location"]) == (303, "/admin/")
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("consent_admin=")]
    flags = {part.strip().split("=")[0]: part.strip() for part in cookie.split(";")}
    assert flags["HttpOnly"] == "HttpOnly"
    assert flags["SameSite"] == "SameSite=Strict"
    assert flags["Path"] == "Path=/admin"
    assert flags["Max-Age"] == "Max-Age=28800"
    assert "Secure" not in flags
    assert operator.client.get("/admin/").status_code == 200
    assert operator.client.get("/admin/login").headers["Location"] == "/admin/"


def test_the_session_is_secure_on_https(admin_app: Flask) -> None:
    client = admin_app.test_client()
    login = client.get("/admin/login", base_url="https://consent.example.org")
    response = client.post(
        "/admin/login",
        data={"csrf_token": token_of(login), "password": PASSWORD},
        base_url="https://consent.example.org",
        headers={"Referer": "https://consent.example.org/admin/login"},
    )
    assert response.status_code == 303
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("consent_admin=")]
    assert "; Secure" in cookie


def test_the_consent_forms_session_is_not_the_operators(operator: AdminActions) -> None:
    """The CSRF session of the forms stays as it is; the operator's is its own cookie."""
    response = operator.login()
    names = [c.split("=")[0] for c in response.headers.getlist("Set-Cookie")]
    assert names == ["consent_admin"]
    assert operator.client.get_cookie("session") is not None
    assert operator.client.get_cookie("consent_admin", path="/admin") is not None


def test_the_session_lasts_the_configured_hours(admin_config: dict[str, Any]) -> None:
    app = create_app({**admin_config, "CONSENT_ADMIN_SESSION_HOURS": "2"})
    actions = AdminActions(app.test_client())
    response = actions.login()
    assert "Max-Age=7200" in response.headers["Set-Cookie"]
    with time_machine.travel(NOW + timedelta(hours=2) - timedelta(seconds=5), tick=False):
        assert actions.client.get("/admin/").status_code == 200
    with time_machine.travel(NOW + timedelta(hours=2, seconds=5), tick=False):
        assert actions.client.get("/admin/").status_code == 303
    ConsentUI.state(app).store.close()


def test_a_new_password_ends_every_session(admin_config: dict[str, Any]) -> None:
    app = create_app(admin_config)
    actions = AdminActions(app.test_client())
    actions.login()
    cookie = actions.client.get_cookie("consent_admin", path="/admin").value
    other = create_app(
        {**admin_config, "CONSENT_ADMIN_PASSWORD_HASH": generate_password_hash("new one")}
    )
    client = other.test_client()
    client.set_cookie("consent_admin", cookie, path="/admin")
    assert client.get("/admin/").status_code == 303
    ConsentUI.state(app).store.close()
    ConsentUI.state(other).store.close()


@pytest.mark.parametrize("password", ["wrong", "", PASSWORD.upper(), PASSWORD + " "])
def test_a_wrong_password_is_a_401_page(
    operator: AdminActions, log: SQLiteStore, password: str
) -> None:
    response = operator.login(password)
    assert response.status_code == 401
    assert response.mimetype == "text/html"
    page = dom(response)
    assert page.one(role="alert").text == "Wrong password. Nothing was opened; try again."
    assert page.one("input", name="password").attrs["aria-invalid"] == "true"
    assert "consent_admin=" not in " ".join(response.headers.getlist("Set-Cookie"))
    assert log.login_failures("127.0.0.0", "2026-11-05T00:00:00Z") == 1
    assert operator.client.get("/admin/").status_code == 303


def test_the_login_needs_its_csrf_token(operator: AdminActions, log: SQLiteStore) -> None:
    for data in ({"password": PASSWORD}, {"password": "wrong", "csrf_token": "forged"}):
        response = operator.client.post("/admin/login", data=data)
        assert response.status_code == 400
        assert dom(response).one(data_error_code=True).attrs["data-error-code"] == "invalid_form"
        assert "consent_admin=" not in " ".join(response.headers.getlist("Set-Cookie"))
    assert log.login_failures("127.0.0.0", "2026-01-01T00:00:00Z") == 0


def test_five_failures_lock_the_address_prefix(admin_app: Flask, log: SQLiteStore) -> None:
    """Even the right password waits; other networks do not; the lock ends after 15
    minutes; and it holds in another worker of the same log."""
    here = AdminActions(admin_app.test_client())
    for _ in range(5):
        assert here.login("wrong").status_code == 401
    locked = here.login()
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == "900"
    assert dom(locked).one(role="alert").text == (
        "Too many failed attempts from your network. Wait 15 minutes, then try again."
    )
    assert "consent_admin=" not in " ".join(locked.headers.getlist("Set-Cookie"))
    assert log.login_failures("127.0.0.0", "2026-11-05T00:00:00Z") == 5, "a locked try is no try"

    neighbour = AdminActions(admin_app.test_client())
    neighbour.client.environ_base["REMOTE_ADDR"] = "127.0.0.99"  # same /24
    assert neighbour.login().status_code == 429
    elsewhere = AdminActions(admin_app.test_client())
    elsewhere.client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert elsewhere.login().status_code == 303

    worker = create_app({**admin_app.config, "TESTING": True})
    assert AdminActions(worker.test_client()).login().status_code == 429
    ConsentUI.state(worker).store.close()

    with time_machine.travel(NOW + timedelta(minutes=15, seconds=1), tick=False):
        assert here.login().status_code == 303


def test_after_login_the_page_asked_for(operator: AdminActions) -> None:
    asked = operator.client.get(f"/admin/consents/{ALICE}")
    login_url = asked.headers["Location"]
    assert login_url == f"/admin/login?next=/admin/consents/{ALICE}"
    page = operator.client.get(login_url)
    assert dom(page).one("input", name="next").attrs["value"] == f"/admin/consents/{ALICE}"
    response = operator.login(next=f"/admin/consents/{ALICE}")
    assert response.headers["Location"] == f"/admin/consents/{ALICE}"


@pytest.mark.parametrize(
    "target", ["https://evil.example/admin/", "//evil.example/admin/", "/cookies", "/admin\\x"]
)
def test_after_login_never_off_the_dashboard(operator: AdminActions, target: str) -> None:
    assert operator.login(next=target).headers["Location"] == "/admin/"


def test_logout(signed_in: FlaskClient, admin_app: Flask, log: SQLiteStore) -> None:
    """It clears the cookie, and a copy kept from before opens nothing any more, in this
    worker or another of the same log; the session's start and end are audited."""
    actions = AdminActions(signed_in)
    copy = signed_in.get_cookie("consent_admin", path="/admin").value
    other = admin_app.test_client()
    other.set_cookie("consent_admin", copy, path="/admin")
    assert other.get("/admin/").status_code == 200
    assert signed_in.post("/admin/logout", data={}).status_code == 400, "CSRF"
    assert signed_in.get("/admin/").status_code == 200
    response = actions.logout()
    assert (response.status_code, response.headers["Location"]) == (303, "/admin/login")
    cleared = next(c for c in response.headers.getlist("Set-Cookie") if "consent_admin=" in c)
    assert "Max-Age=0" in cleared
    assert "Path=/admin" in cleared
    assert signed_in.get("/admin/").status_code == 303
    assert other.get("/admin/").status_code == 303
    assert other.get("/admin/api/stats").status_code == 401
    worker = create_app({**admin_app.config, "TESTING": True})
    elsewhere = worker.test_client()
    elsewhere.set_cookie("consent_admin", copy, path="/admin")
    assert elsewhere.get("/admin/").status_code == 303
    ConsentUI.state(worker).store.close()
    [session_id] = [r["target"] for r in log.audit_trail() if r["action"] == "login"]
    assert log.audit_trail(session_id) == [
        {
            "created_at": "2026-11-05T12:00:00Z",
            "action": action,
            "target": session_id,
            "ip_prefix": "127.0.0.0",
        }
        for action in ("login", "logout")
    ]
    # Logging in again opens a new session, not the ended one.
    assert actions.login().status_code == 303
    assert signed_in.get("/admin/").status_code == 200
    assert other.get("/admin/").status_code == 303


# ---- every page is private ----


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        f"/admin/api/stats?{PERIOD}",
        "/admin/stats.csv",
        "/admin/consents",
        f"/admin/consents/{ALICE}",
        f"/admin/consents/{ALICE}.json",
        "/admin/?from=nope",
        "/admin/nope",
    ],
)
def test_pages_are_no_store_and_never_framed(signed_in: FlaskClient, path: str) -> None:
    response = signed_in.get(path)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_the_login_page_too(operator: AdminActions) -> None:
    for response in (operator.client.get("/admin/login"), operator.login("wrong")):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Frame-Options"] == "DENY"
        csp = response.headers["Content-Security-Policy"]
        assert "script-src" not in csp
        assert csp.startswith("default-src 'none'; style-src 'self'")


# ---- the figures ----


def test_the_stats_api_is_the_figures(signed_in: FlaskClient) -> None:
    response = signed_in.get(f"/admin/api/stats?{PERIOD}")
    assert response.status_code == 200
    assert response.get_json() == EXPECTED


def test_the_stats_api_defaults_to_the_last_thirty_days(signed_in: FlaskClient) -> None:
    body = signed_in.get("/admin/api/stats").get_json()
    assert (body["from"], body["to"], len(body["daily"])) == ("2026-10-07", "2026-11-05", 30)


ORDER = "The period must not start after it ends (“from” after “to”)."
BAD_QUERIES = [
    ("from=2026-11-31", "“from” must be a UTC day written YYYY-MM-DD, not “2026-11-31”."),
    ("to=05/11/2026", "“to” must be a UTC day written YYYY-MM-DD, not “05/11/2026”."),
    ("from=2026-11-05&to=2026-11-01", ORDER),
    ("from=2026-11-06", ORDER),
    ("from=2000-01-01", "The period must be at most 1096 days long."),
    ("from=" + "9" * 5000, "“from” must be a UTC day written YYYY-MM-DD, not “" + "9" * 40 + "”."),
]  # fmt: skip


@pytest.mark.parametrize(("query", "message"), BAD_QUERIES)
def test_bad_periods_are_400_everywhere(
    signed_in: FlaskClient, log: SQLiteStore, query: str, message: str
) -> None:
    error = assert_error(signed_in.get(f"/admin/api/stats?{query}"), 400, "invalid_period")
    assert error["message"] == message
    for path in ("/admin/", "/admin/stats.csv", "/admin/export.csv"):
        response = signed_in.get(f"{path}?{query}")
        assert (response.status_code, response.mimetype) == (400, "text/html")
        assert dom(response).one(data_error_code="invalid_period").text == message
    assert acts(log) == [], "a refused export is no export"


def test_the_bad_period_message_in_french(signed_in: FlaskClient) -> None:
    error = assert_error(
        signed_in.get("/admin/api/stats?from=2026-11-05&to=2026-11-01&lang=fr"),
        400,
        "invalid_period",
    )
    assert (
        error["message"] == "La période ne peut pas commencer après sa fin (« from » après « to »)."
    )


def rows_of(table: Node) -> list[list[str]]:
    return [
        [cell.text for cell in row.children if cell.tag in ("th", "td")]
        for row in table.find_all("tr")
    ]


def test_the_dashboard_shows_the_figures(signed_in: FlaskClient) -> None:
    page = dom(signed_in.get(f"/admin/?{PERIOD}"))
    summary = {
        div.one("dt").text: div.one("dd").text for div in page.one("dl", class_="summary").children
    }
    assert summary == {
        "Choices": "5",
        "Visitors": "4",
        "Withdrawals": "1",
        "Opt-in: Statistics": "60.0%",
        "Opt-in: Personalisation": "20.0%",
        "Opt-in: Marketing": "40.0%",
    }
    tables = {t.one("caption").text: rows_of(t) for t in page.find_all("table")}
    assert tables["Choices and withdrawals per day"] == [
        ["Date", "Choices", "Accept all", "Reject all", "Custom choice", "Withdrawal"],
        ["Nov 1, 2026", "2", "2", "0", "0", "0"],
        ["Nov 2, 2026", "0", "0", "0", "0", "0"],
        ["Nov 3, 2026", "2", "0", "1", "1", "0"],
        ["Nov 4, 2026", "0", "0", "0", "0", "1"],
        ["Nov 5, 2026", "1", "0", "0", "1", "0"],
        ["Total", "5", "2", "1", "2", "1"],
    ]
    assert tables["Choices that grant each category, per day"] == [
        ["Date", "Choices", "Statistics", "Personalisation", "Marketing"],
        ["Nov 1, 2026", "2", "2 (100.0%)", "1 (50.0%)", "1 (50.0%)"],
        ["Nov 2, 2026", "0", "—", "—", "—"],
        ["Nov 3, 2026", "2", "1 (50.0%)", "0 (0.0%)", "0 (0.0%)"],
        ["Nov 4, 2026", "0", "—", "—", "—"],
        ["Nov 5, 2026", "1", "0 (0.0%)", "0 (0.0%)", "1 (100.0%)"],
        ["Total", "5", "3 (60.0%)", "1 (20.0%)", "2 (40.0%)"],
    ]
    head = [
        "Value",
        "Choices",
        "Opt-in: Statistics",
        "Opt-in: Personalisation",
        "Opt-in: Marketing",
    ]
    assert tables["Choices by policy revision"] == [
        head,
        ["Revision 1", "4", "75.0%", "25.0%", "25.0%"],
        ["Revision 2", "1", "0.0%", "0.0%", "100.0%"],
    ]
    assert tables["Choices by Global Privacy Control signal"] == [
        head,
        ["No signal", "4", "50.0%", "25.0%", "50.0%"],
        ["Signal sent", "1", "100.0%", "0.0%", "0.0%"],
    ]
    assert tables["Choices by language"][1:] == [
        ["English", "3", "66.7%", "33.3%", "66.7%"],
        ["French", "2", "50.0%", "0.0%", "0.0%"],
    ]
    assert [r[:2] for r in tables["Choices by surface"][1:]] == [
        ["Banner", "3"],
        ["Preferences", "1"],
        ["Blocked-content placeholder", "1"],
        ["JavaScript API", "0"],
    ]


def test_each_chart_is_an_image_with_its_data_after_it(signed_in: FlaskClient) -> None:
    response = signed_in.get(f"/admin/?{PERIOD}")
    page = dom(response)
    charts = page.find_all("svg", role="img")
    assert len(charts) == 6
    for chart in charts:
        title, desc = chart.attrs["aria-labelledby"].split()
        assert chart.one("title", id=title).text
        assert chart.one("desc", id=desc).text
    bars = page.one("svg", **{"aria-labelledby": "chart-actions-title chart-actions-desc"})
    segments = bars.find_all("rect", class_="segment")
    # One segment per day and action with records: 1 Nov accept; 3 Nov reject and custom;
    # 4 Nov withdraw; 5 Nov custom. Each says what it is.
    assert [s.one("title").text for s in segments] == [
        "Nov 1, 2026: Accept all 2",
        "Nov 3, 2026: Reject all 1",
        "Nov 3, 2026: Custom choice 1",
        "Nov 4, 2026: Withdrawal 1",
        "Nov 5, 2026: Custom choice 1",
    ]
    patterns = {s.attrs["fill"] for s in segments}
    assert patterns == {f"url(#chart-actions-p{i})" for i in range(4)}, "a pattern per action"
    assert [t.text for t in bars.one("g", class_="totals").children] == ["2", "2", "1", "1"]
    lines = page.one("svg", **{"aria-labelledby": "chart-rates-title chart-rates-desc"})
    statistics = lines.one("g", class_="line l0")
    # 1 Nov 100 %, 3 Nov 50 %, 5 Nov 0 %: days without choices break the line.
    assert len(statistics.find_all("polyline")) == 3
    assert statistics.one("text", class_="direct").text == "Statistics"
    assert "<script" not in response.get_data(as_text=True)
    assert "style=" not in response.get_data(as_text=True)


def test_the_dashboard_in_french(signed_in: FlaskClient) -> None:
    response = signed_in.get(f"/admin/?{PERIOD}&lang=fr")
    page = dom(response)
    assert page.one("html").attrs["lang"] == "fr"
    summary = {
        div.one("dt").text: div.one("dd").text for div in page.one("dl", class_="summary").children
    }
    assert summary["Choix"] == "5"
    assert summary["Acceptation : Statistiques"] == "60,0 %"
    assert "<dd>60,0\u00a0%</dd>" in response.get_data(as_text=True), "French spacing"
    assert "Tout accepter" in page.text
    assert page.one("h1").text == "Chiffres du consentement"
    # Remembered: the next page is French without asking again.
    assert dom(signed_in.get("/admin/consents")).one("html").attrs["lang"] == "fr"


def test_the_dashboard_links_its_downloads(signed_in: FlaskClient) -> None:
    page = dom(signed_in.get(f"/admin/?{PERIOD}"))
    links = {a.attrs["href"] for a in page.one("ul", class_="downloads").find_all("a")}
    assert links == {
        f"/admin/stats.csv?{PERIOD}",
        f"/admin/api/stats?{PERIOD}",
        f"/admin/export.csv?{PERIOD}",
    }


def test_the_daily_figures_as_csv(signed_in: FlaskClient) -> None:
    response = signed_in.get(f"/admin/stats.csv?{PERIOD}")
    assert (response.status_code, response.mimetype) == (200, "text/csv")
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=consent-figures-2026-11-01-2026-11-05.csv"
    )
    lines = response.get_data(as_text=True).split("\r\n")
    assert lines[1] == "2026-11-01,2,0,2,0,0,0,2,1,1,1.0,0.5,0.5"
    assert len(lines) == 7


def test_the_records_as_csv_are_the_log_and_audited(
    signed_in: FlaskClient, log: SQLiteStore
) -> None:
    response = signed_in.get(f"/admin/export.csv?{PERIOD}")
    assert response.is_streamed
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=consent-log-2026-11-01-2026-11-05.csv"
    )
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True), newline="")))
    log_rows = list(log.export(*(datetime(2026, 11, d).date() for d in (1, 5))))
    assert [list(r) for r in rows] == [list(COLUMNS)] * len(log_rows)
    assert [(r["consent_id"], r["created_at"], r["agent"]) for r in rows] == [
        (r["consent_id"], r["created_at"], r["agent"] or "") for r in log_rows
    ]
    assert len(rows) == 7
    assert acts(log) == [
        {
            "created_at": "2026-11-05T12:00:00Z",
            "action": "export",
            "target": "2026-11-01..2026-11-05",
            "ip_prefix": "127.0.0.0",
        }
    ]


# ---- a visitor's records ----


def test_the_consent_page_has_every_record_and_the_texts(signed_in: FlaskClient) -> None:
    page = dom(signed_in.get(f"/admin/consents/{ALICE}"))
    table = page.one("table")
    rows = rows_of(table)
    assert len(rows) == 3
    assert rows[1][:3] == [
        "2026-11-01T09:00:00Z",
        "Accept all",
        "Essential, Statistics, Personalisation, Marketing",
    ]
    assert rows[2][:6] == [
        "2026-11-03T10:00:00Z",
        "Custom choice",
        "Essential, Statistics",
        "en",
        "Preferences",
        "/ads/studio-bastos",
    ]
    quotes = [q.text for q in page.find_all("blockquote")]
    assert quotes == [TEXTS[BANNER], TEXTS[PREFERENCES]]
    links = {a.attrs["href"] for a in page.one("ul", class_="downloads").find_all("a")}
    assert links == {f"/admin/consents/{ALICE}.json", f"/admin/consents/{ALICE}.csv"}
    form = page.one("form", action=f"/admin/consents/{ALICE}/anonymise")
    assert form.one("input", name="confirm").attrs["required"] is None


def test_the_consent_json_is_every_record_and_text(
    signed_in: FlaskClient, log: SQLiteStore
) -> None:
    response = signed_in.get(f"/admin/consents/{ALICE}.json")
    assert response.get_json() == {
        "id": ALICE,
        "records": log.history(ALICE),
        "texts": {BANNER: TEXTS[BANNER], PREFERENCES: TEXTS[PREFERENCES]},
        "audit": [],
    }


def test_the_consent_csv_has_the_texts(signed_in: FlaskClient, log: SQLiteStore) -> None:
    response = signed_in.get(f"/admin/consents/{BOB}.csv")
    assert response.headers["Content-Disposition"] == f"attachment; filename=consent-{BOB}.csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True), newline="")))
    assert rows[0] == [*HISTORY_COLUMNS, "text"]
    assert [r[1] for r in rows[1:]] == ["accept_all", "withdraw"]
    assert rows[1][HISTORY_COLUMNS.index("gpc")] == "1"


def test_find_a_consent_id(signed_in: FlaskClient) -> None:
    form = dom(signed_in.get("/admin/consents")).one("form", role="search")
    assert form.attrs["method"] == "get"
    pasted = signed_in.get("/admin/consents", query_string={"id": f"  {ALICE.upper()}\n"})
    assert (pasted.status_code, pasted.headers["Location"]) == (303, f"/admin/consents/{ALICE}")


@pytest.mark.parametrize("value", ["", "anonymised", "not-an-id", ALICE + "0", "<b>x</b>"])
def test_what_is_not_a_consent_id_is_400(signed_in: FlaskClient, value: str) -> None:
    response = signed_in.get("/admin/consents", query_string={"id": value})
    assert response.status_code == 400
    page = dom(response)
    assert page.one(data_error_code="invalid_consent_id").text.startswith(f"“{value}” is not")
    assert page.one("form", role="search"), "the form comes back"
    if value and "/" not in value:
        assert_error(signed_in.get(f"/admin/consents/{value}.json"), 400, "invalid_consent_id")


def test_an_unknown_consent_id_is_404(signed_in: FlaskClient) -> None:
    response = signed_in.get(f"/admin/consents/{UNKNOWN}")
    assert response.status_code == 404
    assert dom(response).one(data_error_code="unknown_consent_id").text == (
        f"The consent log has no record of the consent ID {UNKNOWN}."
    )
    assert_error(signed_in.get(f"/admin/consents/{UNKNOWN}.json"), 404, "unknown_consent_id")
    assert signed_in.get(f"/admin/consents/{UNKNOWN}.csv").status_code == 404


# ---- erasure ----


def test_anonymise_an_id_and_audit_it(signed_in: FlaskClient, log: SQLiteStore) -> None:
    actions = AdminActions(signed_in)
    before = signed_in.get(f"/admin/api/stats?{PERIOD}").get_json()
    response = actions.anonymise(ALICE)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/consents/{ALICE}?anonymised=2"
    assert log.history(ALICE) == []
    assert log.count("anonymised") == 2
    audit = {
        "created_at": "2026-11-05T12:00:00Z",
        "action": "anonymise",
        "target": ALICE,
        "ip_prefix": "127.0.0.0",
    }
    assert acts(log) == [audit]
    page = dom(signed_in.get(response.headers["Location"]))
    assert page.one(role="status").text == "Done: 2 records were anonymised."
    assert page.one("ul", class_="audit").text == (
        "Records anonymised on 2026-11-05T12:00:00Z (UTC) · from the network 127.0.0.0"
    )
    assert page.find_all("table") == []
    assert signed_in.get(f"/admin/consents/{ALICE}.json").get_json() == {
        "id": ALICE,
        "records": [],
        "texts": {},
        "audit": [audit],
    }
    assert signed_in.get(f"/admin/api/stats?{PERIOD}").get_json() == before, "same figures"
    again = actions.anonymise(ALICE)
    assert again.status_code == 404
    assert acts(log) == [audit]


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"csrf_token": "forged"}, 400, "invalid_form"),
        ({"csrf_token": None}, 400, "invalid_form"),
        ({"confirm": None}, 400, "not_confirmed"),
        ({"confirm": "no"}, 400, "not_confirmed"),
    ],
)
def test_an_erasure_needs_its_token_and_its_confirmation(
    signed_in: FlaskClient, log: SQLiteStore, fields: dict, status: int, code: str
) -> None:
    data = {"csrf_token": AdminActions(signed_in).page_token(), "confirm": "yes", **fields}
    response = signed_in.post(
        f"/admin/consents/{ALICE}/anonymise", data={k: v for k, v in data.items() if v is not None}
    )
    assert response.status_code == status
    assert dom(response).one(data_error_code=True).attrs["data-error-code"] == code
    assert len(log.history(ALICE)) == 2
    assert acts(log) == []


@pytest.mark.parametrize(("consent_id", "status"), [(UNKNOWN, 404), ("nope", 400)])
def test_erasing_an_unknown_id_writes_nothing(
    signed_in: FlaskClient, log: SQLiteStore, consent_id: str, status: int
) -> None:
    assert AdminActions(signed_in).anonymise(consent_id).status_code == status
    assert acts(log) == []
    assert log.count("anonymised") == 0


def test_the_get_of_an_erasure_is_not_allowed(signed_in: FlaskClient, log: SQLiteStore) -> None:
    assert signed_in.get(f"/admin/consents/{ALICE}/anonymise").status_code == 404
    assert len(log.history(ALICE)) == 2


def test_every_page_names_its_language_and_title(signed_in: FlaskClient) -> None:
    for path in ("/admin/", "/admin/consents", f"/admin/consents/{ALICE}"):
        for lang in ("en", "fr"):
            page = dom(signed_in.get(f"{path}?lang={lang}"))
            assert page.one("html").attrs["lang"] == lang
            assert re.search(r"\S · ", page.one("head").one("title").text)
