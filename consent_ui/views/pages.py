"""Server-rendered consent pages and the form that works without JavaScript."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request
from flask_babel import get_locale
from werkzeug.exceptions import HTTPException

from .. import i18n
from ..consent import Choice
from ..errors import InvalidForm
from ..extension import ConsentUI, consent_ui
from ..forms import ChoiceForm, choice_data, safe_next
from . import banner, errors, recording
from .helpers import home

bp = Blueprint("consent_pages", __name__)
bp.register_error_handler(HTTPException, errors.handle)
bp.after_request(i18n.remember_choice)


@bp.after_request
def private(response: Response) -> Response:
    """Pages carry a CSRF token and depend on the visitor's consent cookie."""
    response.headers.setdefault("Cache-Control", "private, no-cache")
    response.vary.add("Cookie")
    return response


@bp.post("/consent")
def choose() -> Response:
    # Form fields only: flask-wtf would read a JSON body as the form (and fail on one
    # that is not an object); JSON choices belong to the API.
    form = ChoiceForm(formdata=request.form)
    if not form.validate_on_submit():
        raise InvalidForm()
    choice = Choice.parse(
        choice_data(request.form, home()),
        ConsentUI.state().policy,
        default_lang=lambda: str(get_locale()),
        gpc_signal=recording.gpc_signal(),
    )
    _, token = recording.record(choice)
    response = redirect(safe_next(request.form.get("next"), home()), code=303)
    recording.set_cookie(response, token)
    return response


@bp.get("/preferences")
def preferences() -> str:
    ui = banner.context(
        str(get_locale()),
        gpc=recording.gpc_signal(),
        consent=consent_ui.current(),
        csrf=True,
        next_url=safe_next(request.args.get("next"), home()),
    )
    return render_template(
        "consent_ui/preferences.html", **{**ui, "page": request.path, "in_dialog": False}
    )


@bp.get("/cookies")
def cookies() -> str:
    ui = banner.context(str(get_locale()), gpc=recording.gpc_signal())
    return render_template("consent_ui/cookies.html", **ui)


@bp.get("/privacy")
def privacy() -> str:
    ui = banner.context(str(get_locale()), gpc=recording.gpc_signal())
    return render_template("consent_ui/privacy.html", **ui)
