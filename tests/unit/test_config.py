"""``CONSENT_*`` settings: defaults, strings from the environment, and every bad value
stopping start-up with a message naming the key."""

from __future__ import annotations

import logging
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from consent_ui import create_app
from consent_ui.config import KEYS, Settings
from consent_ui.errors import ConfigError
from consent_ui.extension import ConsentUI

#: Signing keys must be at least 32 characters long.
KEY = "unit-test-signing-key-32-characters"
OLD = "unit-test-retired-key-32-characters"


class Records(logging.Handler):
    """The warnings of the ``consent_ui`` logger (the suite runs without caplog)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def warnings() -> Iterator[Records]:
    handler = Records()
    logger = logging.getLogger("consent_ui")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings.from_config({"CONSENT_SECRET_KEY": KEY, **values}, tmp_path / "instance")


def refused(tmp_path: Path, **values: Any) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        settings(tmp_path, **values)
    return caught.value


def test_defaults(tmp_path: Path) -> None:
    s = settings(tmp_path)
    assert s == Settings(
        secret_key=KEY,
        secret_key_fallbacks=(),
        database=str(tmp_path / "instance" / "consent.db"),
        policy=None,
        allowed_origins=frozenset(),
        cookie_name="consent",
        cookie_domain=None,
        max_age_days=182,
        default_locale="en",
        admin_password_hash=None,
        admin_session_hours=8,
        trusted_proxies=0,
        retention_days=1095,
    )


def test_environment_style_strings_are_parsed(tmp_path: Path) -> None:
    s = settings(
        tmp_path,
        CONSENT_MAX_AGE_DAYS="182",
        CONSENT_SECRET_KEY_FALLBACKS=f"{OLD}-1, {OLD}-2,,",
        CONSENT_ALLOWED_ORIGINS="https://a.example.org,http://b.example.org:8080",
        CONSENT_DATABASE=str(tmp_path / "log.db"),
        CONSENT_POLICY=str(tmp_path / "policy.toml"),
        CONSENT_COOKIE_NAME="cu_consent",
        CONSENT_COOKIE_DOMAIN=".example.org",
        CONSENT_DEFAULT_LOCALE="fr",
        CONSENT_TRUSTED_PROXIES="1",
        CONSENT_RETENTION_DAYS="30",
        CONSENT_ADMIN_SESSION_HOURS="2",
    )
    assert s.max_age_days == 182
    assert s.secret_key_fallbacks == (f"{OLD}-1", f"{OLD}-2")
    assert s.allowed_origins == {"https://a.example.org", "http://b.example.org:8080"}
    assert s.database == str(tmp_path / "log.db")
    assert s.policy == tmp_path / "policy.toml"
    assert (s.cookie_name, s.cookie_domain) == ("cu_consent", ".example.org")
    assert (s.default_locale, s.trusted_proxies, s.retention_days) == ("fr", 1, 30)
    assert s.admin_session_hours == 2


def test_native_values_are_accepted(tmp_path: Path) -> None:
    s = settings(
        tmp_path,
        CONSENT_MAX_AGE_DAYS=395,
        CONSENT_SECRET_KEY_FALLBACKS=[OLD],
        CONSENT_ALLOWED_ORIGINS=("https://a.example.org",),
    )
    assert (s.max_age_days, s.secret_key_fallbacks) == (395, (OLD,))
    assert s.allowed_origins == {"https://a.example.org"}


def test_empty_strings_mean_the_default(tmp_path: Path) -> None:
    s = settings(tmp_path, CONSENT_MAX_AGE_DAYS="", CONSENT_COOKIE_NAME="")
    assert (s.max_age_days, s.cookie_name) == (182, "consent")


def test_max_age_above_thirteen_months_is_refused(tmp_path: Path) -> None:
    error = refused(tmp_path, CONSENT_MAX_AGE_DAYS="396")
    assert error.key == "CONSENT_MAX_AGE_DAYS"
    assert str(error) == (
        "CONSENT_MAX_AGE_DAYS: 396 days is longer than the 13 months (395 days) a consent "
        "may be kept; choose a value from 1 to 395"
    )


def test_create_app_stops_on_a_max_age_above_thirteen_months(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        create_app(
            {
                "CONSENT_SECRET_KEY": KEY,
                "CONSENT_DATABASE": str(tmp_path / "c.db"),
                "CONSENT_MAX_AGE_DAYS": 396,
            }
        )
    assert caught.value.key == "CONSENT_MAX_AGE_DAYS"
    assert "395" in caught.value.problem
    assert not (tmp_path / "c.db").exists()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("CONSENT_MAX_AGE_DAYS", 0),
        ("CONSENT_MAX_AGE_DAYS", "0"),
        ("CONSENT_MAX_AGE_DAYS", -1),
        ("CONSENT_MAX_AGE_DAYS", "-1"),
        ("CONSENT_MAX_AGE_DAYS", "abc"),
        ("CONSENT_MAX_AGE_DAYS", "1.5"),
        ("CONSENT_MAX_AGE_DAYS", 1.5),
        ("CONSENT_MAX_AGE_DAYS", True),
        ("CONSENT_MAX_AGE_DAYS", "1e2"),
        ("CONSENT_RETENTION_DAYS", "0"),
        ("CONSENT_TRUSTED_PROXIES", "-1"),
        ("CONSENT_TRUSTED_PROXIES", "two"),
        ("CONSENT_DEFAULT_LOCALE", "de"),
        ("CONSENT_DEFAULT_LOCALE", "EN"),
        ("CONSENT_DEFAULT_LOCALE", "fr-FR"),
        ("CONSENT_COOKIE_NAME", "my consent"),
        ("CONSENT_COOKIE_NAME", "a;b"),
        ("CONSENT_COOKIE_NAME", "a=b"),
        ("CONSENT_COOKIE_NAME", "c" * 65),
        ("CONSENT_COOKIE_NAME", 12),
        ("CONSENT_SECRET_KEY_FALLBACKS", 12),
        ("CONSENT_SECRET_KEY_FALLBACKS", [OLD, 1]),
        ("CONSENT_ALLOWED_ORIGINS", "https://shop.example.org/path"),
        ("CONSENT_ALLOWED_ORIGINS", "*"),
        ("CONSENT_ALLOWED_ORIGINS", "https://*.example.org/x"),
        ("CONSENT_ALLOWED_ORIGINS", "shop.example.org"),
        ("CONSENT_ALLOWED_ORIGINS", "//shop.example.org"),
        ("CONSENT_ALLOWED_ORIGINS", "ftp://shop.example.org"),
        ("CONSENT_ALLOWED_ORIGINS", "https://"),
        ("CONSENT_ALLOWED_ORIGINS", "https://shop.example.org?x=1"),
        ("CONSENT_ALLOWED_ORIGINS", "https://shop.example.org#top"),
        ("CONSENT_ALLOWED_ORIGINS", "https://user@shop.example.org"),
        ("CONSENT_ALLOWED_ORIGINS", "https://ok.example.org,null"),
        ("CONSENT_ALLOWED_ORIGINS", 5),
        ("CONSENT_ADMIN_SESSION_HOURS", "0"),
        ("CONSENT_ADMIN_SESSION_HOURS", "eight"),
        ("CONSENT_ADMIN_SESSION_HOURS", "1.5"),
    ],
)
def test_bad_values_are_refused_naming_the_key(tmp_path: Path, key: str, value: Any) -> None:
    error = refused(tmp_path, **{key: value})
    assert error.key == key
    assert str(error).startswith(f"{key}: ")


def test_bad_origin_message(tmp_path: Path) -> None:
    error = refused(tmp_path, CONSENT_ALLOWED_ORIGINS="https://shop.example.org/path")
    assert str(error) == (
        "CONSENT_ALLOWED_ORIGINS: “https://shop.example.org/path” is not an origin such as "
        "https://www.example.org (no path, no *)"
    )


def test_origins_are_normalised(tmp_path: Path) -> None:
    s = settings(
        tmp_path,
        CONSENT_ALLOWED_ORIGINS=" HTTPS://Shop.Example.ORG/ , http://localhost:8000 ",
    )
    assert s.allowed_origins == {"https://shop.example.org", "http://localhost:8000"}


@pytest.mark.parametrize("key", ["CONSENT_MAX_AGE", "CONSENT_SECRET", "CONSENT_ORIGINS"])
def test_unknown_consent_key_is_refused(tmp_path: Path, key: str) -> None:
    error = refused(tmp_path, **{key: "1"})
    assert error.key == key
    assert error.problem.startswith("unknown setting (known: CONSENT_SECRET_KEY, ")


def test_other_keys_are_not_ours(tmp_path: Path) -> None:
    assert (
        Settings.from_config(
            {"CONSENT_SECRET_KEY": KEY, "SECRET_KEY": "x", "TESTING": True}, tmp_path
        ).secret_key
        == KEY
    )


def test_every_key_has_a_default_and_a_meaning() -> None:
    assert all(key.startswith("CONSENT_") and text for key, (_, text) in KEYS.items())


def test_development_secret_is_generated_once(tmp_path: Path, warnings: Records) -> None:
    instance = tmp_path / "instance"
    first = Settings.from_config({}, instance).secret_key
    second = Settings.from_config({"CONSENT_SECRET_KEY": ""}, instance).secret_key
    key_file = instance / "secret_key"
    assert first == second == key_file.read_text().strip()
    assert len(first) >= 48
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(warnings.records) == 2
    message = warnings.records[0].getMessage()
    assert message.startswith("CONSENT_SECRET_KEY is not set: using the development key kept in ")
    assert str(key_file) in message


def test_development_secrets_differ_between_instances(tmp_path: Path, warnings: Records) -> None:
    one = Settings.from_config({}, tmp_path / "one").secret_key
    two = Settings.from_config({}, tmp_path / "two").secret_key
    assert one != two


def test_a_configured_secret_logs_no_warning(tmp_path: Path, warnings: Records) -> None:
    settings(tmp_path)
    assert warnings.records == []
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_create_app_reads_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSENT_SECRET_KEY", "from-env" * 4)
    monkeypatch.setenv("CONSENT_DATABASE", str(tmp_path / "env.db"))
    monkeypatch.setenv("CONSENT_MAX_AGE_DAYS", "30")
    monkeypatch.setenv("CONSENT_ALLOWED_ORIGINS", "https://a.example.org,https://b.example.org")
    app = create_app({"CONSENT_DEFAULT_LOCALE": "fr"})
    try:
        s = ConsentUI.state(app).settings
        assert s.secret_key == "from-env" * 4
        assert s.database == str(tmp_path / "env.db")
        assert s.max_age_days == 30
        assert s.allowed_origins == {"https://a.example.org", "https://b.example.org"}
        assert s.default_locale == "fr"
        assert (tmp_path / "env.db").exists()
    finally:
        ConsentUI.state(app).store.close()


def test_the_mapping_overrides_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONSENT_MAX_AGE_DAYS", "396")
    app = create_app(
        {
            "CONSENT_SECRET_KEY": KEY,
            "CONSENT_DATABASE": str(tmp_path / "c.db"),
            "CONSENT_MAX_AGE_DAYS": "30",
        }
    )
    try:
        assert ConsentUI.state(app).settings.max_age_days == 30
    finally:
        ConsentUI.state(app).store.close()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("CONSENT_MAX_AGE_DAYS", "396"),
        ("CONSENT_MAXAGE_DAYS", "30"),
        ("CONSENT_COOKIE_NAME", "a b"),
    ],
)
def test_create_app_stops_on_a_bad_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str, value: str
) -> None:
    monkeypatch.setenv("CONSENT_SECRET_KEY", KEY)
    monkeypatch.setenv("CONSENT_DATABASE", str(tmp_path / "c.db"))
    monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as caught:
        create_app()
    assert caught.value.key == key


def test_the_admin_password_hash_must_be_a_hash(tmp_path: Path) -> None:
    from werkzeug.security import generate_password_hash

    good = generate_password_hash("correct horse battery staple")
    settings = Settings.from_config(
        {"CONSENT_SECRET_KEY": KEY, "CONSENT_ADMIN_PASSWORD_HASH": good}, tmp_path
    )
    assert settings.admin_password_hash == good
    for bad in ("hunter2", "md5$salt$hash", "scrypt:1:1:1$onlysalt", 42):
        with pytest.raises(ConfigError) as caught:
            Settings.from_config(
                {"CONSENT_SECRET_KEY": KEY, "CONSENT_ADMIN_PASSWORD_HASH": bad}, tmp_path
            )
        assert caught.value.key == "CONSENT_ADMIN_PASSWORD_HASH"
        assert "not a password" in str(caught.value)


@pytest.mark.parametrize(
    "key",
    [
        "\u2026",  # the README's placeholder, copied literally
        "x",
        "change-me",
        "k" * 31,
    ],
)
def test_a_short_secret_key_stops_start_up_naming_it(tmp_path: Path, key: str) -> None:
    error = refused(tmp_path, CONSENT_SECRET_KEY=key)
    assert error.key == "CONSENT_SECRET_KEY"
    assert str(error) == (
        f"CONSENT_SECRET_KEY: too short for a signing key ({len(key)} characters, at least 32 "
        "needed); use random ones, e.g. from: "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
    )


def test_a_short_fallback_key_stops_start_up_naming_it(tmp_path: Path) -> None:
    error = refused(tmp_path, CONSENT_SECRET_KEY_FALLBACKS=f"{OLD},too-short")
    assert error.key == "CONSENT_SECRET_KEY_FALLBACKS"
    assert str(error).startswith(
        "CONSENT_SECRET_KEY_FALLBACKS: key 2 is too short for a signing key (9 characters, "
        "at least 32 needed); "
    )
    assert "too-short" not in str(error), "a key, even a bad one, is never printed"


def test_a_key_of_32_characters_is_enough(tmp_path: Path) -> None:
    assert settings(tmp_path, CONSENT_SECRET_KEY="k" * 32).secret_key == "k" * 32


def test_a_short_development_key_file_stops_start_up(tmp_path: Path, warnings: Records) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "secret_key").write_text("short\n")
    with pytest.raises(ConfigError) as caught:
        Settings.from_config({}, instance)
    assert caught.value.key == "CONSENT_SECRET_KEY"
    assert str(instance / "secret_key") in str(caught.value)


def test_create_app_refuses_a_forgeable_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        create_app({"CONSENT_SECRET_KEY": "\u2026", "CONSENT_DATABASE": str(tmp_path / "c.db")})
    assert caught.value.key == "CONSENT_SECRET_KEY"
    assert not (tmp_path / "c.db").exists()
