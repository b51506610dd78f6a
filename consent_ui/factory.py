"""``create_app``: the standalone consent service with its demo site."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.exceptions import HTTPException

from . import config as config_module
from . import edge, session
from .extension import ConsentUI, consent_ui
from .resources import STATIC, TEMPLATES

#: The standalone service's import name (and so its instance folder).
SERVICE = "consent_ui"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from ``CONSENT_*`` environment variables, then ``config`` on top."""
    from . import csp
    from .views import demo, errors

    app = Flask(SERVICE, template_folder=str(TEMPLATES), static_folder=str(STATIC))
    app.config.from_mapping(config_module.from_environ())
    if config:
        app.config.from_mapping(config)
    # The standalone service is ours, so is its session (the forms' CSRF token): Flask
    # signs it with the consent keys (itsdangerous salts keep the two uses apart).
    keys = config_module.Settings.from_config(app.config, app.instance_path)
    app.config["CONSENT_SECRET_KEY"] = keys.secret_key  # the development key: one warning
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = keys.secret_key
        app.config["SECRET_KEY_FALLBACKS"] = list(keys.secret_key_fallbacks)
    consent_ui.init_app(app)

    edge.protect(app, ConsentUI.state(app).settings.trusted_proxies)
    app.register_blueprint(demo.bp)
    app.register_error_handler(HTTPException, errors.handle)
    app.register_error_handler(Exception, errors.handle)
    app.after_request(csp.apply)
    app.after_request(csp.hsts)
    session.configure(app)
    app.jinja_env.globals["csp_nonce"] = csp.nonce
    return app
