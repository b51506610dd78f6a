"""The proof-of-consent log: schema, append-only guards, texts once per hash, and
retention, which alone may change rows (anonymising long-inactive consent ids)."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from consent_ui import store as store_module
from consent_ui.errors import StoreUnavailable
from consent_ui.store import ANONYMISED, ConsentStore, Record

ALICE = "11111111-1111-4111-8111-111111111111"
BOB = "22222222-2222-4222-8222-222222222222"
CAROL = "33333333-3333-4333-8333-333333333333"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
CUTOFF = datetime(2023, 6, 1, tzinfo=UTC)


@pytest.fixture
def log(tmp_path: Path) -> Iterator[ConsentStore]:
    store = ConsentStore(tmp_path / "consent.db")
    store.migrate()
    yield store
    store.close()


def record(consent_id: str = ALICE, created_at: str = "2026-05-01T10:00:00Z", **changes) -> Record:
    base = Record(
        consent_id=consent_id,
        created_at=created_at,
        action="accept_all",
        categories=("essential", "statistics"),
        revision=1,
        text_hash=None,
        lang="en",
        surface="api",
        page="/ads",
        gpc=False,
        expires_at="2026-10-30T10:00:00Z",
        ip_prefix="203.0.113.0",
    )
    return dataclasses.replace(base, **changes)


def raw(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


def test_migrate_is_idempotent(log: ConsentStore) -> None:
    log.append(record())
    assert log.migrate() == 1
    assert log.migrate() == 1
    conn = raw(log.path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"consent_log", "consent_texts"} <= tables
    assert log.count() == 1, "migrating again keeps the records"


def test_migrate_creates_the_folder(tmp_path: Path) -> None:
    store = ConsentStore(tmp_path / "deep" / "er" / "consent.db")
    assert store.migrate() == 1
    assert store.path.exists()


def test_wal_and_synchronous_full(log: ConsentStore) -> None:
    assert raw(log.path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert log.db.execute("PRAGMA synchronous").fetchone()[0] == 2


def test_append_and_history(log: ConsentStore) -> None:
    first = log.append(record())
    second = log.append(record(action="custom", categories=("essential",), gpc=True, page=None))
    log.append(record(BOB))
    assert second == first + 1
    assert log.count() == 3
    assert log.count(ALICE) == 2
    assert log.count(CAROL) == 0
    assert log.history(ALICE) == [
        {
            "created_at": "2026-05-01T10:00:00Z",
            "action": "accept_all",
            "categories": ["essential", "statistics"],
            "revision": 1,
            "text_hash": None,
            "lang": "en",
            "surface": "api",
            "page": "/ads",
            "gpc": False,
            "expires_at": "2026-10-30T10:00:00Z",
            "ip_prefix": "203.0.113.0",
        },
        {
            "created_at": "2026-05-01T10:00:00Z",
            "action": "custom",
            "categories": ["essential"],
            "revision": 1,
            "text_hash": None,
            "lang": "en",
            "surface": "api",
            "page": None,
            "gpc": True,
            "expires_at": "2026-10-30T10:00:00Z",
            "ip_prefix": "203.0.113.0",
        },
    ]
    row = raw(log.path).execute("SELECT categories, gpc FROM consent_log WHERE id = ?", [first])
    categories, gpc = row.fetchone()
    assert json.loads(categories) == ["essential", "statistics"]
    assert gpc == 0


def test_text_is_stored_once_per_hash(log: ConsentStore) -> None:
    for consent_id in (ALICE, BOB, CAROL):
        log.append(record(consent_id, text_hash="h1", surface="banner"), "Accept all or not")
    log.append(record(text_hash="h2", surface="preferences", lang="fr"), "Tout accepter")
    rows = raw(log.path).execute("SELECT * FROM consent_texts ORDER BY hash").fetchall()
    assert [dict(r) for r in rows] == [
        {
            "hash": "h1",
            "lang": "en",
            "revision": 1,
            "text": "Accept all or not",
            "first_seen_at": "2026-05-01T10:00:00Z",
        },
        {
            "hash": "h2",
            "lang": "fr",
            "revision": 1,
            "text": "Tout accepter",
            "first_seen_at": "2026-05-01T10:00:00Z",
        },
    ]
    assert log.text("h1") == "Accept all or not"
    assert log.text("missing") is None


def test_a_text_hash_without_its_text_is_refused(log: ConsentStore) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        log.append(record(text_hash="never-stored"))
    assert log.count() == 0


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"action": "withdraw_all"}, id="action"),
        pytest.param({"surface": "popup"}, id="surface"),
    ],
)
def test_check_constraints(log: ConsentStore, change: dict[str, str]) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        log.append(record(**change))
    assert log.count() == 0


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM consent_log",
        "DELETE FROM consent_log WHERE consent_id = '11111111-1111-4111-8111-111111111111'",
        "UPDATE consent_log SET categories = '[\"essential\"]'",
        "UPDATE consent_log SET action = 'reject_all'",
        "UPDATE consent_log SET ip_prefix = NULL",
        "UPDATE consent_log SET consent_id = 'anonymised'",
        # Retention's own update, except that it also rewrites the history.
        "UPDATE consent_log SET consent_id = 'anonymised', ip_prefix = NULL,"
        " anonymised_at = '2026-06-01T00:00:00Z', created_at = '2020-01-01T00:00:00Z'",
        "UPDATE consent_texts SET text = 'other words'",
        "DELETE FROM consent_texts",
    ],
)
def test_append_only(log: ConsentStore, statement: str) -> None:
    log.append(record(text_hash="h1", surface="banner"), "The words shown")
    conn = raw(log.path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute(statement)
    assert log.history(ALICE)[0]["categories"] == ["essential", "statistics"]
    assert log.count(ALICE) == 1
    assert log.text("h1") == "The words shown"


def test_an_anonymised_row_cannot_be_changed_again(log: ConsentStore) -> None:
    log.append(record(created_at="2020-01-01T00:00:00Z"))
    log.anonymise_inactive(CUTOFF, NOW)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw(log.path).execute(
            "UPDATE consent_log SET consent_id = 'anonymised', ip_prefix = NULL,"
            " anonymised_at = '2027-01-01T00:00:00Z'"
        )


def test_a_locked_log_is_unavailable_not_acknowledged(
    log: ConsentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_SECONDS", 0.05)
    writer = raw(log.path)
    writer.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreUnavailable):
            log.append(record())
    finally:
        writer.execute("ROLLBACK")
    assert log.count() == 0


def _retention_log(log: ConsentStore) -> None:
    # Alice: only old records. Bob: one old, one recent. Carol: recent only.
    log.append(record(ALICE, "2020-01-01T00:00:00Z"))
    log.append(record(ALICE, "2023-05-31T23:59:59Z", action="reject_all", ip_prefix="2001:db8::"))
    log.append(record(BOB, "2020-01-01T00:00:00Z"))
    log.append(record(BOB, "2025-01-01T00:00:00Z"))
    log.append(record(CAROL, "2023-06-01T00:00:00Z"))


def test_retention_anonymises_only_inactive_ids(log: ConsentStore) -> None:
    _retention_log(log)
    report = log.anonymise_inactive(CUTOFF, NOW)
    assert (report.cutoff, report.consent_ids, report.rows) == ("2023-06-01T00:00:00Z", 1, 2)

    conn = raw(log.path)
    rows = [
        dict(r)
        for r in conn.execute(
            "SELECT consent_id, created_at, action, ip_prefix, anonymised_at"
            " FROM consent_log ORDER BY id"
        )
    ]
    assert rows == [
        {
            "consent_id": ANONYMISED,
            "created_at": "2020-01-01T00:00:00Z",
            "action": "accept_all",
            "ip_prefix": None,
            "anonymised_at": "2026-06-01T00:00:00Z",
        },
        {
            "consent_id": ANONYMISED,
            "created_at": "2023-05-31T23:59:59Z",
            "action": "reject_all",
            "ip_prefix": None,
            "anonymised_at": "2026-06-01T00:00:00Z",
        },
        {
            "consent_id": BOB,
            "created_at": "2020-01-01T00:00:00Z",
            "action": "accept_all",
            "ip_prefix": "203.0.113.0",
            "anonymised_at": None,
        },
        {
            "consent_id": BOB,
            "created_at": "2025-01-01T00:00:00Z",
            "action": "accept_all",
            "ip_prefix": "203.0.113.0",
            "anonymised_at": None,
        },
        {
            "consent_id": CAROL,
            "created_at": "2023-06-01T00:00:00Z",
            "action": "accept_all",
            "ip_prefix": "203.0.113.0",
            "anonymised_at": None,
        },
    ]
    assert log.history(ALICE) == []
    assert log.count() == 5, "anonymised, not deleted"


def test_retention_again_touches_nothing(log: ConsentStore) -> None:
    _retention_log(log)
    log.anonymise_inactive(CUTOFF, NOW)
    report = log.anonymise_inactive(CUTOFF, datetime(2026, 7, 1, tzinfo=UTC))
    assert (report.consent_ids, report.rows) == (0, 0)
    stamps = raw(log.path).execute(
        "SELECT DISTINCT anonymised_at FROM consent_log WHERE anonymised_at IS NOT NULL"
    )
    assert [r[0] for r in stamps] == ["2026-06-01T00:00:00Z"]


def test_retention_dry_run_counts_and_changes_nothing(log: ConsentStore) -> None:
    _retention_log(log)
    before = [tuple(r) for r in raw(log.path).execute("SELECT * FROM consent_log ORDER BY id")]
    report = log.anonymise_inactive(CUTOFF, NOW, dry_run=True)
    assert (report.consent_ids, report.rows) == (1, 2)
    after = [tuple(r) for r in raw(log.path).execute("SELECT * FROM consent_log ORDER BY id")]
    assert after == before
    assert log.anonymise_inactive(CUTOFF, NOW).rows == 2, "the dry run left it to do"
