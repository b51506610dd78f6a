"""``ConsentUI``: the Flask extension that mounts consent-ui in any app.

State lives in ``app.extensions["consent_ui"]``; the extension object itself holds
none, so one instance can serve several apps and be created before them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Flask, current_app, g, request
from flask_babel import Babel, get_babel, get_locale

from .config import Settings
from .consent import Consent
from .errors import ConfigError, ConsentRequired, ConsentUIError
from .policy import Policy, load_policy
from .resources import TEMPLATES, TRANSLATIONS
from .store import Store, open_store
from .token import ConsentSigner
from .withdrawals import Withdrawals

TOKEN_HEADER = "X-Consent-Token"  # noqa: S105 - a header name, not a secret
F = TypeVar("F", bound=Callable[..., Any])
_UNSET = object()


#: Bound on cached renderings: keys can include the Host header, which clients choose.
CACHE_ENTRIES = 128


@dataclass
class State:
    settings: Settings
    policy: Policy
    signer: ConsentSigner
    store: Store
    withdrawals: Withdrawals
    #: The blueprints the extension mounted: their routes are consent-ui's.
    blueprints: frozenset[str] = frozenset()
    _cache: dict[Any, Any] = field(default_factory=dict)

    def cached(self, key: Any, build: Callable[[], Any]) -> Any:
        """A per-process rendering (texts, assets): they change only with the policy."""
        try:
            return self._cache[key]
        except KeyError:
            value = build()
            while len(self._cache) >= CACHE_ENTRIES:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = value
            return value


class ConsentUI:
    """Mount consent-ui: ``ConsentUI(app)`` or ``consent_ui.init_app(app)``."""

    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        from . import cli, i18n
        from .views import api, embed, errors, guard, pages
        from .views.helpers import TemplateHelpers

        settings = Settings.from_config(app.config, app.instance_path)
        if not app.config.get("SECRET_KEY"):
            # The host's key is the host's: never set it behind its back.
            raise ConfigError(
                "SECRET_KEY",
                "not set; consent-ui's HTML forms keep their CSRF token (flask-wtf) in the "
                "app's session, which Flask signs with SECRET_KEY. Set it to a long random "
                "value of your own (not CONSENT_SECRET_KEY)",
            )
        policy = load_policy(settings.policy)
        store = open_store(settings.database)
        store.migrate()
        signer = ConsentSigner(
            settings.secret_key,
            settings.secret_key_fallbacks,
            max_age=timedelta(days=settings.max_age_days),
        )
        withdrawals = Withdrawals(store, signer.max_age)
        blueprints = (api.bp, embed.bp, pages.bp)
        if settings.admin_password_hash:
            # Without a password hash there is no dashboard: /admin/… stays a 404.
            from .views import admin

            blueprints = (*blueprints, admin.bp)
        app.extensions["consent_ui"] = State(
            settings, policy, signer, store, withdrawals, frozenset(b.name for b in blueprints)
        )

        i18n.compile_catalogues(TRANSLATIONS)
        if "babel" in app.extensions:
            get_babel(app).translation_directories.append(str(TRANSLATIONS))
        else:
            Babel(
                app,
                locale_selector=i18n.select_locale,
                default_translation_directories=str(TRANSLATIONS),
            )

        # Our templates for any host app, behind the host's own folder (which may override).
        app.register_blueprint(Blueprint("consent_ui", __name__, template_folder=str(TEMPLATES)))
        for blueprint in blueprints:
            app.register_blueprint(blueprint)
        # App-wide, so that every blueprint above is covered without a hook of its own.
        app.before_request(guard.bound_body)
        app.after_request(guard.secure_headers)
        # Domain errors are ours wherever they are raised; HTTP errors only in our
        # blueprints (each registers errors.handle), so a host app keeps its own pages.
        app.register_error_handler(ConsentUIError, errors.handle)
        app.jinja_env.globals["consent_ui"] = TemplateHelpers(self)
        app.cli.add_command(cli.consent)

    @staticmethod
    def state(app: Flask | None = None) -> State:
        return (app or current_app).extensions["consent_ui"]

    def current(self) -> Consent | None:
        """The verified consent of this request (header or cookie), or None; a token of
        a withdrawn id is none (``StoreUnavailable`` when the log cannot say)."""
        consent = g.get("_consent_ui", _UNSET)
        if consent is _UNSET:
            state = self.state()
            consent = None
            for token in (
                request.headers.get(TOKEN_HEADER),
                request.cookies.get(state.settings.cookie_name),
            ):
                consent = state.signer.verify(token, state.policy)
                if consent is not None and consent.id in state.withdrawals:
                    consent = None
                if consent is not None:
                    break
            g._consent_ui = consent
        return consent

    def remember(self, consent: Consent | None) -> None:
        """Make a choice just recorded (or withdrawn) the consent of this request."""
        g._consent_ui = consent

    def has(self, key: str) -> bool:
        """Whether this request may use ``key``; required categories always may."""
        policy = self.state().policy
        if key not in policy.keys:
            raise ValueError(f"no category {key!r} in the policy ({', '.join(policy.keys)})")
        if key in policy.required_keys:
            return True
        consent = self.current()
        return consent is not None and consent.has(key)

    def requires(self, key: str) -> Callable[[F], F]:
        """Run a view only when ``key`` is granted; otherwise a localised 403."""

        def decorator(view: F) -> F:
            @wraps(view)
            def wrapped(*args: Any, **kwargs: Any) -> Any:
                if not self.has(key):
                    label = self.state().policy.category(key).label(str(get_locale()))
                    raise ConsentRequired(key, label)
                return view(*args, **kwargs)

            return wrapped  # type: ignore[return-value]

        return decorator


consent_ui = ConsentUI()
