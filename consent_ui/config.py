"""Configuration: ``CONSENT_*`` keys, parsed once at start-up into ``Settings``.

Values come from environment variables or a mapping given to ``create_app``; both may
be strings (``"182"``, ``"a,b"``) or native values. A bad value stops start-up with a
message naming the key.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigError
from .policy import LANGUAGES

log = logging.getLogger("consent_ui")

PREFIX = "CONSENT_"
#: Shortest signing key accepted (CONSENT_SECRET_KEY and each fallback).
MIN_KEY_LENGTH = 32
#: Thirteen months: the longest a choice may be kept before asking again.
MAX_AGE_LIMIT_DAYS = 395

#: Every configuration key, its default and what it means (the README documents each).
KEYS: dict[str, tuple[Any, str]] = {
    "CONSENT_SECRET_KEY": (None, "signing key"),
    "CONSENT_SECRET_KEY_FALLBACKS": ((), "older keys still accepted"),
    "CONSENT_DATABASE": (None, "SQLite file or postgresql:// URL of the consent log"),
    "CONSENT_POLICY": (None, "policy file (TOML)"),
    "CONSENT_ALLOWED_ORIGINS": ((), "origins allowed to embed the snippet"),
    "CONSENT_COOKIE_NAME": ("consent", "consent cookie name"),
    "CONSENT_COOKIE_DOMAIN": (None, "consent cookie domain"),
    "CONSENT_MAX_AGE_DAYS": (182, "days a choice is kept"),
    "CONSENT_DEFAULT_LOCALE": ("en", "language when nothing else decides"),
    "CONSENT_ADMIN_PASSWORD_HASH": (None, "password hash of the operator dashboard"),
    "CONSENT_ADMIN_SESSION_HOURS": (8, "lifetime of an operator login"),
    "CONSENT_TRUSTED_PROXIES": (0, "reverse proxies in front of the service"),
    "CONSENT_RETENTION_DAYS": (1095, "days of inactivity before anonymisation"),
}

_COOKIE_NAME = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


@dataclass(frozen=True)
class Settings:
    secret_key: str
    secret_key_fallbacks: tuple[str, ...]
    database: str
    policy: Path | None
    allowed_origins: frozenset[str]
    cookie_name: str
    cookie_domain: str | None
    max_age_days: int
    default_locale: str
    admin_password_hash: str | None
    admin_session_hours: int
    trusted_proxies: int
    retention_days: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any], instance_path: str | Path) -> Settings:
        instance = Path(instance_path)
        unknown = sorted(k for k in config if k.startswith(PREFIX) and k not in KEYS)
        if unknown:
            raise ConfigError(unknown[0], f"unknown setting (known: {', '.join(KEYS)})")

        def get(key: str) -> Any:
            value = config.get(key)
            return KEYS[key][0] if value is None or value == "" else value

        max_age = _integer(get("CONSENT_MAX_AGE_DAYS"), "CONSENT_MAX_AGE_DAYS", minimum=1)
        if max_age > MAX_AGE_LIMIT_DAYS:
            raise ConfigError(
                "CONSENT_MAX_AGE_DAYS",
                f"{max_age} days is longer than the 13 months ({MAX_AGE_LIMIT_DAYS} days) "
                "a consent may be kept; choose a value from 1 to 395",
            )
        locale = get("CONSENT_DEFAULT_LOCALE")
        if locale not in LANGUAGES:
            raise ConfigError("CONSENT_DEFAULT_LOCALE", f"must be one of {', '.join(LANGUAGES)}")
        cookie_name = get("CONSENT_COOKIE_NAME")
        if not isinstance(cookie_name, str) or not _COOKIE_NAME.match(cookie_name):
            raise ConfigError("CONSENT_COOKIE_NAME", "letters, digits, - and _ only (1 to 64)")
        policy = get("CONSENT_POLICY")
        database = get("CONSENT_DATABASE") or default_database(instance)
        secret_key = get("CONSENT_SECRET_KEY")
        if secret_key is None:
            secret_key = development_secret(instance)
        else:
            _signing_key(secret_key, "CONSENT_SECRET_KEY")
        fallbacks = _strings(get("CONSENT_SECRET_KEY_FALLBACKS"), "CONSENT_SECRET_KEY_FALLBACKS")
        for number, fallback in enumerate(fallbacks, 1):
            _signing_key(fallback, "CONSENT_SECRET_KEY_FALLBACKS", f"key {number} is ")
        return cls(
            secret_key=secret_key,
            secret_key_fallbacks=fallbacks,
            database=str(database),
            policy=Path(policy) if policy else None,
            allowed_origins=frozenset(
                _origin(o)
                for o in _strings(get("CONSENT_ALLOWED_ORIGINS"), "CONSENT_ALLOWED_ORIGINS")
            ),
            cookie_name=cookie_name,
            cookie_domain=get("CONSENT_COOKIE_DOMAIN"),
            max_age_days=max_age,
            default_locale=locale,
            admin_password_hash=_password_hash(get("CONSENT_ADMIN_PASSWORD_HASH")),
            admin_session_hours=_integer(
                get("CONSENT_ADMIN_SESSION_HOURS"), "CONSENT_ADMIN_SESSION_HOURS", minimum=1
            ),
            trusted_proxies=_integer(
                get("CONSENT_TRUSTED_PROXIES"), "CONSENT_TRUSTED_PROXIES", minimum=0
            ),
            retention_days=_integer(
                get("CONSENT_RETENTION_DAYS"), "CONSENT_RETENTION_DAYS", minimum=1
            ),
        )


def from_environ(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The ``CONSENT_*`` variables of the environment, as raw strings."""
    return {k: v for k, v in environ.items() if k.startswith(PREFIX)}


def default_database(instance: str | Path) -> Path:
    """Where the log is kept when ``CONSENT_DATABASE`` is not set: the instance folder."""
    return Path(instance) / "consent.db"


def development_secret(instance: Path) -> str:
    """A random key generated once and kept in the instance folder, with a warning."""
    path = instance / "secret_key"
    try:
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    log.warning(
        "CONSENT_SECRET_KEY is not set: using the development key kept in %s. "
        "Set CONSENT_SECRET_KEY to a long random value in production.",
        path,
    )
    key = path.read_text().strip()
    if len(key) < MIN_KEY_LENGTH:
        raise ConfigError(
            "CONSENT_SECRET_KEY",
            f"the development key in {path} is too short ({len(key)} characters, at least "
            f"{MIN_KEY_LENGTH} needed); delete the file and a new one is made",
        )
    return key


def _signing_key(value: Any, key: str, which: str = "") -> None:
    """Refuse a key that can be guessed (the README's "…", "change-me"): a forged
    token signed with it would be a valid consent. The key itself is never printed."""
    if not isinstance(value, str):
        raise ConfigError(key, f"{which}not a string")
    if len(value) < MIN_KEY_LENGTH:
        raise ConfigError(
            key,
            f"{which}too short for a signing key ({len(value)} characters, at least "
            f"{MIN_KEY_LENGTH} needed); use random ones, e.g. from: "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'",
        )


def _password_hash(value: Any) -> str | None:
    """A werkzeug password hash (``method$salt$hash``), never a plain password."""
    if value is None:
        return None
    parts = value.split("$") if isinstance(value, str) else []
    if len(parts) != 3 or not parts[0].startswith(("scrypt:", "pbkdf2:")):
        raise ConfigError(
            "CONSENT_ADMIN_PASSWORD_HASH",
            "must be a werkzeug password hash (werkzeug.security.generate_password_hash), "
            "not a password",
        )
    return value


def _integer(value: Any, key: str, *, minimum: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(key, f"must be a whole number, not {value!r}") from None
    if isinstance(value, bool) or number < minimum or str(number) != str(value).strip():
        raise ConfigError(key, f"must be a whole number of {minimum} or more, not {value!r}")
    return number


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ConfigError(key, "must be a comma-separated list")
    return tuple(v.strip() for v in value if v.strip())


def _origin(value: str) -> str:
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username
    ):
        raise ConfigError(
            "CONSENT_ALLOWED_ORIGINS",
            f"“{value}” is not an origin such as https://www.example.org (no path, no *)",
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"
