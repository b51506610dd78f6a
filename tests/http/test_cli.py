"""The command line, as ``flask consent …`` and as the installed ``consent-ui`` script,
and its ``retention``: anonymise the records of consent IDs inactive for longer than the
retention period (3 years by default), or count them with ``--dry-run``."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from click.testing import CliRunner, Result
from flask.cli import ScriptInfo
from flask.testing import FlaskCliRunner

from consent_ui import create_app
from consent_ui.extension import ConsentUI
from consent_ui.store import Record
from consent_ui.store.sqlite import SQLiteStore
from tests.conftest import SECRET

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
ALICE = "11111111-1111-4111-8111-111111111111"
BOB = "22222222-2222-4222-8222-222222222222"
CAROL = "33333333-3333-4333-8333-333333333333"


def record(consent_id: str, created_at: str, action: str = "accept_all") -> Record:
    return Record(
        consent_id=consent_id,
        created_at=created_at,
        action=action,
        categories=("essential",),
        revision=1,
        text_hash=None,
        lang="en",
        surface="api",
        page="/",
        gpc=False,
        expires_at=None,
        ip_prefix="203.0.113.0",
    )


@pytest.fixture
def old_log(store: SQLiteStore) -> SQLiteStore:
    # Alice: inactive for 4 years. Bob: 4 years ago, and again last month.
    # Carol: 2 years ago.
    store.append(record(ALICE, "2022-01-10T08:00:00Z"))
    store.append(record(ALICE, "2022-02-10T08:00:00Z", "withdraw"))
    store.append(record(BOB, "2022-01-10T08:00:00Z"))
    store.append(record(BOB, "2026-02-01T08:00:00Z", "reject_all"))
    store.append(record(CAROL, "2024-03-01T08:00:00Z"))
    return store


def ids(store: SQLiteStore) -> list[tuple[str, str | None]]:
    conn = sqlite3.connect(store.path)
    try:
        return conn.execute("SELECT consent_id, ip_prefix FROM consent_log ORDER BY id").fetchall()
    finally:
        conn.close()


def retention(runner: FlaskCliRunner, *args: str) -> Result:
    with time_machine.travel(NOW, tick=False):
        return runner.invoke(args=["consent", "retention", *args])


def test_dry_run_counts_and_changes_nothing(runner: FlaskCliRunner, old_log: SQLiteStore) -> None:
    before = ids(old_log)
    result = retention(runner, "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "would anonymise 2 records of 1 consent IDs inactive since before 2023-03-02T12:00:00Z\n"
    )
    assert ids(old_log) == before


def test_retention_anonymises_inactive_ids(runner: FlaskCliRunner, old_log: SQLiteStore) -> None:
    result = retention(runner)
    assert result.exit_code == 0, result.output
    assert result.output == (
        "anonymised 2 records of 1 consent IDs inactive since before 2023-03-02T12:00:00Z\n"
    )
    assert ids(old_log) == [
        ("anonymised", None),
        ("anonymised", None),
        (BOB, "203.0.113.0"),
        (BOB, "203.0.113.0"),
        (CAROL, "203.0.113.0"),
    ]
    again = retention(runner)
    assert again.output == (
        "anonymised 0 records of 0 consent IDs inactive since before 2023-03-02T12:00:00Z\n"
    )


def test_days_option(runner: FlaskCliRunner, old_log: SQLiteStore) -> None:
    result = retention(runner, "--days", "365")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "anonymised 3 records of 2 consent IDs inactive since before 2025-03-01T12:00:00Z\n"
    )
    assert [i for i, _ in ids(old_log)] == ["anonymised", "anonymised", BOB, BOB, "anonymised"]


def test_days_and_dry_run(runner: FlaskCliRunner, old_log: SQLiteStore) -> None:
    result = retention(runner, "--days", "10", "--dry-run")
    assert result.output == (
        "would anonymise 5 records of 3 consent IDs inactive since before 2026-02-19T12:00:00Z\n"
    )
    assert BOB in {i for i, _ in ids(old_log)}


@pytest.mark.parametrize("days", ["0", "-5", "abc", "1.5"])
def test_bad_days_are_refused(runner: FlaskCliRunner, old_log: SQLiteStore, days: str) -> None:
    before = ids(old_log)
    result = retention(runner, "--days", days)
    assert result.exit_code == 2
    assert "Invalid value for '--days'" in result.output
    assert ids(old_log) == before


def test_the_setting_gives_the_default_period(config: dict[str, Any]) -> None:
    app = create_app({**config, "CONSENT_RETENTION_DAYS": "30"})
    store = ConsentUI.state(app).store
    try:
        store.append(record(ALICE, "2026-01-15T00:00:00Z"))
        store.append(record(BOB, "2026-02-15T00:00:00Z"))
        with time_machine.travel(NOW, tick=False):
            result = app.test_cli_runner().invoke(args=["consent", "retention"])
        assert result.output == (
            "anonymised 1 records of 1 consent IDs inactive since before 2026-01-30T12:00:00Z\n"
        )
    finally:
        store.close()


def test_a_log_just_invented_is_refused(runner: FlaskCliRunner, config: dict[str, Any]) -> None:
    """The app of this very command created the log: it was run without the service's
    environment, and says so instead of reporting 0."""
    result = retention(runner)
    assert result.exit_code == 2
    assert result.output == (
        f"Error: there is no consent log at {config['CONSENT_DATABASE']} (it was empty and has"
        " just been created): run the command with the service's CONSENT_DATABASE\n"
    )


def test_an_existing_empty_log_is_fine(config: dict[str, Any]) -> None:
    ConsentUI.state(create_app(config)).store.close()  # the service created it earlier
    app = create_app(config)
    with time_machine.travel(NOW, tick=False):
        result = app.test_cli_runner().invoke(args=["consent", "retention"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("anonymised 0 records of 0 consent IDs")
    ConsentUI.state(app).store.close()


def consent_ui_script(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """The installed ``consent-ui`` script, run from an empty folder with ``env`` only."""
    script = Path(sys.executable).with_name("consent-ui")
    return subprocess.run(
        [str(script), *args],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_script_reads_the_services_environment(tmp_path: Path, config: dict[str, Any]) -> None:
    app = create_app(config)
    ConsentUI.state(app).store.append(record(ALICE, "2020-01-10T08:00:00Z"))
    ConsentUI.state(app).store.close()
    env = {"CONSENT_DATABASE": config["CONSENT_DATABASE"], "CONSENT_SECRET_KEY": SECRET}
    result = consent_ui_script(tmp_path, "retention", "--dry-run", **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("would anonymise 1 records of 1 consent IDs inactive since")
    assert result.stderr == ""


def test_the_script_never_invents_a_log(tmp_path: Path) -> None:
    env = {"CONSENT_SECRET_KEY": SECRET, "CONSENT_DATABASE": str(tmp_path / "missing.db")}
    result = consent_ui_script(tmp_path, "retention", **env)
    assert result.returncode == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: there is no consent log at ")
    assert "set CONSENT_DATABASE" in line
    assert list(tmp_path.iterdir()) == [], "nothing created"


def test_without_consent_database_the_default_log_must_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default (the instance folder's log) is the service's only when it exists; the
    checkout's own instance folder may hold a demo log, so the default is moved here."""
    from consent_ui import config as config_module
    from consent_ui.cli import _standalone_app, consent

    default = tmp_path / "instance" / "consent.db"
    monkeypatch.setattr(config_module, "default_database", lambda instance: default)
    monkeypatch.setenv("CONSENT_SECRET_KEY", SECRET)
    result = CliRunner().invoke(consent, ["retention"], obj=ScriptInfo(create_app=_standalone_app))
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: there is no consent log at {default}: set ")
    assert not default.parent.exists(), "nothing created"


def test_the_script_names_a_bad_setting(tmp_path: Path, config: dict[str, Any]) -> None:
    ConsentUI.state(create_app(config)).store.close()
    env = {
        "CONSENT_DATABASE": config["CONSENT_DATABASE"],
        "CONSENT_SECRET_KEY": SECRET,
        "CONSENT_MAX_AGE_DAYS": "999",
    }
    result = consent_ui_script(tmp_path, "retention", **env)
    assert result.returncode == 2
    assert result.stderr.startswith("Error: CONSENT_MAX_AGE_DAYS: 999 days is longer")
    assert len(result.stderr.splitlines()) == 1


def test_help(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["consent", "--help"])
    assert result.exit_code == 0
    assert "retention" in result.output
    detail = runner.invoke(args=["consent", "retention", "--help"]).output
    assert "--dry-run" in detail
    assert "--days" in detail
