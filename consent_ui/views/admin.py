"""The operator dashboard: figures with charts, data-subject requests, exports.

Mounted only when ``CONSENT_ADMIN_PASSWORD_HASH`` is set (else ``/admin/…`` is a 404).
Its session is a cookie of its own (``consent_admin``: HttpOnly, ``SameSite=Strict``,
Secure on HTTPS, path ``/admin``), apart from the ``SameSite=Lax`` session that carries
the forms' CSRF tokens, which it neither needs nor weakens. Every page is ``no-store``,
cannot be framed and sends no referrer (its URLs hold consent ids).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from functools import cache
from typing import Any

from babel import Locale
from babel.numbers import NumberPattern, parse_pattern
from flask import (
    Blueprint,
    Response,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import (
    format_date,
    get_locale,
    gettext,
    lazy_gettext,
)
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import HTTPException, NotFound

from .. import charts, csp, exports, i18n, operator, rights
from ..consent import ACTIONS, LOG_ACTIONS, utcnow
from ..errors import ExpiredOperatorForm, LoginRequired, NotConfirmed
from ..extension import ConsentUI
from ..forms import safe_next
from ..network import ip_prefix
from ..stats import Period, Stats, compute
from ..store import HISTORY_COLUMNS
from . import embed, errors
from .helpers import here

bp = Blueprint("consent_admin", __name__, url_prefix="/admin")
bp.register_error_handler(HTTPException, errors.handle)
bp.after_request(i18n.remember_choice)

SESSION_COOKIE = "consent_admin"
STYLESHEET = "consent-admin"
#: Reachable without a session: the login form and its stylesheet.
PUBLIC = {"consent_admin.login", "consent_admin.stylesheet"}

ACTION_LABELS = {
    "accept_all": lazy_gettext("Accept all"),
    "reject_all": lazy_gettext("Reject all"),
    "custom": lazy_gettext("Custom choice"),
    "withdraw": lazy_gettext("Withdrawal"),
}
SURFACE_LABELS = {
    "banner": lazy_gettext("Banner"),
    "preferences": lazy_gettext("Preferences"),
    "placeholder": lazy_gettext("Blocked-content placeholder"),
    "api": lazy_gettext("JavaScript API"),
}
BREAKDOWN_TITLES = {
    "lang": lazy_gettext("Choices by language"),
    "surface": lazy_gettext("Choices by surface"),
    "revision": lazy_gettext("Choices by policy revision"),
    "gpc": lazy_gettext("Choices by Global Privacy Control signal"),
}


class OperatorForm(FlaskForm):
    """Only the CSRF token is a WTForms field; the views read the rest."""


def _sessions() -> operator.OperatorSessions:
    state = ConsentUI.state()
    settings = state.settings
    return state.cached(
        "operator-sessions",
        lambda: operator.OperatorSessions(
            settings.secret_key,
            settings.secret_key_fallbacks,
            settings.admin_password_hash or "",
            lifetime=timedelta(hours=settings.admin_session_hours),
        ),
    )


def signed_in() -> bool:
    """Whether the request carries a live operator session (asked once per request)."""
    if "consent_admin_signed_in" not in g:
        token = request.cookies.get(SESSION_COOKIE)
        g.consent_admin_signed_in = operator.signed_in(ConsentUI.state().store, _sessions(), token)
    return g.consent_admin_signed_in


def _cookie_path() -> str:
    return f"{request.script_root}{bp.url_prefix}"


def _client_prefix() -> str:
    """The address prefix that failed logins are counted under (never the address)."""
    return ip_prefix(request.remote_addr) or "unknown"


def _check_form() -> None:
    if not OperatorForm().validate_on_submit():
        raise ExpiredOperatorForm()


@bp.before_request
def _require_login() -> Response | None:
    if request.endpoint in PUBLIC or signed_in():
        return None
    if request.path.startswith(f"{bp.url_prefix}/api/"):
        raise LoginRequired()
    target = here() if request.method == "GET" else None
    return redirect(url_for(".login", next=target), code=303)


@bp.after_request
def _private(response: Response) -> Response:
    if request.endpoint != "consent_admin.stylesheet":
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        csp.operator(response)
    return response


@bp.app_template_global()
def admin_stylesheet() -> str:
    return url_for("consent_admin.stylesheet", v=embed.stylesheet(STYLESHEET).etag)


@bp.context_processor
def _page() -> dict[str, Any]:
    return {"signed_in": signed_in, "csrf_token": generate_csrf}


@bp.get("/admin.css")
def stylesheet() -> Response:
    max_age = 365 * embed.DAY if request.args.get("v") else embed.DAY
    return embed.stylesheet(STYLESHEET).response(max_age=max_age)


# ---- login ----


def _next_target(value: str | None) -> str:
    """Where to go after logging in: an operator page, else the dashboard."""
    target = safe_next(value)
    home = url_for(".index")
    return target if target.startswith(home) else home


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    next_url = _next_target(request.values.get("next"))
    if request.method == "GET":
        if signed_in():
            return redirect(next_url, code=303)
        return render_template("consent_ui/admin/login.html", next_url=next_url)
    _check_form()
    store = ConsentUI.state().store
    settings = ConsentUI.state().settings
    now = utcnow()
    prefix = _client_prefix()
    if operator.locked(store, prefix, now):
        message = gettext(
            "Too many failed attempts from your network. Wait %(minutes)d minutes, then try again."
        ) % {"minutes": operator.FAILURE_WINDOW.seconds // 60}
        page = render_template("consent_ui/admin/login.html", next_url=next_url, error=message)
        response = Response(page, status=429, mimetype="text/html")
        response.headers["Retry-After"] = str(int(operator.FAILURE_WINDOW.total_seconds()))
        return response
    if not operator.password_matches(
        settings.admin_password_hash or "", request.form.get("password", "")
    ):
        operator.note_failure(store, prefix, now)
        message = gettext("Wrong password. Nothing was opened; try again.")
        page = render_template("consent_ui/admin/login.html", next_url=next_url, error=message)
        return page, 401
    response = redirect(next_url, code=303)
    response.set_cookie(
        SESSION_COOKIE,
        operator.log_in(store, _sessions(), prefix, now),
        max_age=int(_sessions().lifetime.total_seconds()),
        path=_cookie_path(),
        secure=request.is_secure,
        httponly=True,
        samesite="Strict",
    )
    return response


@bp.post("/logout")
def logout() -> Response:
    _check_form()
    operator.log_out(
        ConsentUI.state().store,
        _sessions(),
        request.cookies.get(SESSION_COOKIE),
        _client_prefix(),
        utcnow(),
    )
    response = redirect(url_for(".login"), code=303)
    response.delete_cookie(
        SESSION_COOKIE,
        path=_cookie_path(),
        secure=request.is_secure,
        httponly=True,
        samesite="Strict",
    )
    return response


# ---- figures ----


def _period() -> Period:
    return Period.parse(request.args.get("from"), request.args.get("to"), today=utcnow().date())


def _stats(period: Period) -> Stats:
    state = ConsentUI.state()
    return compute(state.store, state.policy, period)


@cache
def _formats(lang: str, decimals: int) -> tuple[Locale, NumberPattern, NumberPattern]:
    """The language's number and percent patterns, parsed once (a page formats hundreds)."""
    locale = Locale.parse(lang)
    digits = "#,##0." + "0" * decimals if decimals else "#,##0"
    percent = parse_pattern(locale.percent_formats[None].pattern.replace("#,##0", digits, 1))
    return locale, locale.decimal_formats[None], percent


def percent(rate: float, decimals: int = 1) -> str:
    """A rate for the reader, as the language writes percentages."""
    locale, _, pattern = _formats(str(get_locale()), decimals)
    return pattern.apply(rate, locale)


def number(value: float) -> str:
    locale, pattern, _ = _formats(str(get_locale()), 0)
    return pattern.apply(value, locale)


def _language_name(code: str) -> str:
    name = Locale.parse(code).get_display_name(str(get_locale())) or code
    return name[:1].upper() + name[1:]


def value_labels(name: str) -> Callable[[str], str]:
    """How the values of a breakdown read on the dashboard."""
    if name == "lang":
        return _language_name
    if name == "surface":
        return lambda value: str(SURFACE_LABELS.get(value, value))
    if name == "revision":
        return lambda value: gettext("Revision %(number)s", number=value)
    return lambda value: gettext("Signal sent") if value == "1" else gettext("No signal")


def _dashboard_charts(stats: Stats, labels: dict[str, str]) -> dict[str, Any]:
    short = [format_date(day.date, "d MMM") for day in stats.daily]
    long = [format_date(day.date, "medium") for day in stats.daily]
    actions = charts.stacked_bars(
        short,
        [[day.actions[a] for a in LOG_ACTIONS] for day in stats.daily],
        [str(ACTION_LABELS[a]) for a in LOG_ACTIONS],
        titles=[
            [f"{long[d]}: {ACTION_LABELS[a]} {day.actions[a]}" for a in LOG_ACTIONS]
            for d, day in enumerate(stats.daily)
        ],
        number=number,
    )
    rates = charts.rate_lines(
        short,
        {labels[key]: [day.rate(key) for day in stats.daily] for key in stats.categories},
        percent=lambda rate: percent(rate, 0),
        titles={
            labels[key]: [
                f"{long[d]}: {labels[key]} "
                + (percent(day.rate(key) or 0) if day.choices else gettext("no choices"))
                for d, day in enumerate(stats.daily)
            ]
            for key in stats.categories
        },
    )
    breakdowns = {}
    for name, values in stats.by.items():
        label = value_labels(name)
        items = [(label(value), tally.choices) for value, tally in values.items()]

        def counted(count: int) -> str:
            share = percent(count / stats.choices) if stats.choices else percent(0)
            return f"{number(count)} ({share})"

        breakdowns[name] = charts.horizontal_bars(items, total=stats.choices, value=counted)
    return {"actions": actions, "rates": rates, "breakdowns": breakdowns}


@bp.get("/")
def index() -> str:
    period = _period()
    stats = _stats(period)
    policy = ConsentUI.state().policy
    lang = str(get_locale())
    labels = {key: policy.category(key).label(lang) for key in stats.categories}
    today = utcnow().date()
    return render_template(
        "consent_ui/admin/index.html",
        stats=stats,
        period=period,
        labels=labels,
        charts=_dashboard_charts(stats, labels),
        actions=LOG_ACTIONS,
        choice_actions=ACTIONS,
        action_labels=ACTION_LABELS,
        breakdown_titles=BREAKDOWN_TITLES,
        value_labels=value_labels,
        percent=percent,
        number=number,
        format_date=format_date,
        presets=[(days, _preset(today, days)) for days in (7, 30, 90, 365)],
        query={"from": period.first.isoformat(), "to": period.last.isoformat()},
    )


def _preset(today: date, days: int) -> dict[str, str]:
    return {"from": (today - timedelta(days=days - 1)).isoformat(), "to": today.isoformat()}


@bp.get("/api/stats")
def api_stats() -> Response:
    return jsonify(_stats(_period()).to_json())


def _download(chunks: Iterator[str], mimetype: str, filename: str) -> Response:
    response = Response(stream_with_context(chunks), mimetype=mimetype)
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    return response


@bp.get("/stats.csv")
def stats_csv() -> Response:
    period = _period()
    stats = _stats(period)
    chunks = exports.table(stats.daily_columns(), stats.daily_rows())
    return _download(chunks, "text/csv", f"consent-figures-{period.first}-{period.last}.csv")


@bp.get("/export.csv")
def export_csv() -> Response:
    period = _period()
    store = ConsentUI.state().store
    rights.note_export(store, str(period), now=utcnow(), ip_prefix=ip_prefix(request.remote_addr))
    chunks = exports.records(store.export(period.first, period.last), "csv")
    return _download(chunks, "text/csv", f"consent-log-{period.first}-{period.last}.csv")


# ---- data-subject requests ----


@bp.get("/consents")
def find() -> Response | str:
    if "id" not in request.args:
        return render_template("consent_ui/admin/find.html")
    consent_id = rights.parse_consent_id(request.args["id"])
    return redirect(url_for(".consent", consent_id=consent_id), code=303)


def _access(consent_id: str) -> rights.Access:
    return rights.access(ConsentUI.state().store, rights.parse_consent_id(consent_id))


@bp.get("/consents/<consent_id>")
def consent(consent_id: str) -> str:
    found = _access(consent_id)
    policy = ConsentUI.state().policy
    lang = str(get_locale())
    labels = {c.key: c.label(lang) for c in policy.categories}
    anonymised = request.args.get("anonymised", type=int)
    return render_template(
        "consent_ui/admin/consent.html",
        found=found,
        labels=labels,
        action_labels=ACTION_LABELS,
        surface_labels=SURFACE_LABELS,
        anonymised=anonymised,
    )


@bp.get("/consents/<consent_id>.json")
def consent_json(consent_id: str) -> Response:
    return jsonify(_access(consent_id).to_json())


@bp.get("/consents/<consent_id>.csv")
def consent_csv(consent_id: str) -> Response:
    found = _access(consent_id)
    rows = (
        [*(r[c] for c in HISTORY_COLUMNS), found.texts.get(r["text_hash"] or "", "")]
        for r in found.records
    )
    chunks = exports.table((*HISTORY_COLUMNS, "text"), rows)
    return _download(chunks, "text/csv", f"consent-{found.consent_id}.csv")


@bp.post("/consents/<consent_id>/anonymise")
def anonymise(consent_id: str) -> Response:
    _check_form()
    wanted = rights.parse_consent_id(consent_id)
    if request.form.get("confirm") != "yes":
        raise NotConfirmed()
    rows = rights.erase(
        ConsentUI.state().store, wanted, now=utcnow(), ip_prefix=ip_prefix(request.remote_addr)
    )
    return redirect(url_for(".consent", consent_id=wanted, anonymised=rows), code=303)


@bp.route("/<path:anything>", methods=["GET", "POST"])
def unknown(anything: str) -> Response:
    """Any other operator path: a 404, but only once logged in (see ``_require_login``)."""
    raise NotFound()
