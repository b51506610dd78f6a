"""The proof-of-consent log: schema, append-only guards, texts once per hash, and
retention, which alone may change rows (anonymising long-inactive consent ids)."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from consent_ui.errors import StoreUnavailable
from consent_ui.store import ANONYMISED, COLUMNS, AuditEntry, FigureRow, Figures, Record
from consent_ui.store import sqlite as store_module
from consent_ui.store.sqlite import SCHEMA_VERSION, SQLiteStore

ALICE = "11111111-1111-4111-8111-111111111111"
BOB = "22222222-2222-4222-8222-222222222222"
CAROL = "33333333-3333-4333-8333-333333333333"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
CUTOFF = datetime(2023, 6, 1, tzinfo=UTC)


@pytest.fixture
def log(tmp_path: Path) -> Iterator[SQLiteStore]:
    store = SQLiteStore(tmp_path / "consent.db")
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


def test_migrate_is_idempotent(log: SQLiteStore) -> None:
    log.append(record())
    assert log.migrate() == SCHEMA_VERSION
    assert log.migrate() == SCHEMA_VERSION
    conn = raw(log.path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"consent_log", "consent_texts"} <= tables
    assert log.count() == 1, "migrating again keeps the records"


def test_migrate_creates_the_folder(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "deep" / "er" / "consent.db")
    assert store.migrate() == SCHEMA_VERSION
    assert store.path.exists()


def test_wal_and_synchronous_full(log: SQLiteStore) -> None:
    assert raw(log.path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert log.db.execute("PRAGMA synchronous").fetchone()[0] == 2


def test_append_and_history(log: SQLiteStore) -> None:
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


def test_text_is_stored_once_per_hash(log: SQLiteStore) -> None:
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


def test_a_text_hash_without_its_text_is_refused(log: SQLiteStore) -> None:
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
def test_check_constraints(log: SQLiteStore, change: dict[str, str]) -> None:
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
def test_append_only(log: SQLiteStore, statement: str) -> None:
    log.append(record(text_hash="h1", surface="banner"), "The words shown")
    conn = raw(log.path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute(statement)
    assert log.history(ALICE)[0]["categories"] == ["essential", "statistics"]
    assert log.count(ALICE) == 1
    assert log.text("h1") == "The words shown"


def test_an_anonymised_row_cannot_be_changed_again(log: SQLiteStore) -> None:
    log.append(record(created_at="2020-01-01T00:00:00Z"))
    log.anonymise_inactive(CUTOFF, NOW)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw(log.path).execute(
            "UPDATE consent_log SET consent_id = 'anonymised', ip_prefix = NULL,"
            " anonymised_at = '2027-01-01T00:00:00Z'"
        )


def test_a_locked_log_is_unavailable_not_acknowledged(
    log: SQLiteStore, monkeypatch: pytest.MonkeyPatch
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


def _retention_log(log: SQLiteStore) -> None:
    # Alice: only old records. Bob: one old, one recent. Carol: recent only.
    log.append(record(ALICE, "2020-01-01T00:00:00Z"))
    log.append(record(ALICE, "2023-05-31T23:59:59Z", action="reject_all", ip_prefix="2001:db8::"))
    log.append(record(BOB, "2020-01-01T00:00:00Z"))
    log.append(record(BOB, "2025-01-01T00:00:00Z"))
    log.append(record(CAROL, "2023-06-01T00:00:00Z"))


def test_retention_anonymises_only_inactive_ids(log: SQLiteStore) -> None:
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


def test_retention_again_touches_nothing(log: SQLiteStore) -> None:
    _retention_log(log)
    log.anonymise_inactive(CUTOFF, NOW)
    report = log.anonymise_inactive(CUTOFF, datetime(2026, 7, 1, tzinfo=UTC))
    assert (report.consent_ids, report.rows) == (0, 0)
    stamps = raw(log.path).execute(
        "SELECT DISTINCT anonymised_at FROM consent_log WHERE anonymised_at IS NOT NULL"
    )
    assert [r[0] for r in stamps] == ["2026-06-01T00:00:00Z"]


def test_retention_dry_run_counts_and_changes_nothing(log: SQLiteStore) -> None:
    _retention_log(log)
    before = [tuple(r) for r in raw(log.path).execute("SELECT * FROM consent_log ORDER BY id")]
    report = log.anonymise_inactive(CUTOFF, NOW, dry_run=True)
    assert (report.consent_ids, report.rows) == (1, 2)
    after = [tuple(r) for r in raw(log.path).execute("SELECT * FROM consent_log ORDER BY id")]
    assert after == before
    assert log.anonymise_inactive(CUTOFF, NOW).rows == 2, "the dry run left it to do"


def test_figures_aggregate_one_period(log: SQLiteStore) -> None:
    keys = ("statistics", "personalization", "marketing")
    everything = ("essential", *keys)
    none = dict.fromkeys(keys, 0)
    log.append(record(ALICE, "2026-04-30T23:59:59Z"))  # the day before: out
    log.append(record(ALICE, "2026-05-01T08:00:00Z", categories=everything))
    log.append(record(ALICE, "2026-05-01T09:00:00Z", action="custom"))
    log.append(record(BOB, "2026-05-01T10:00:00Z", categories=everything, lang="fr", gpc=True))
    log.append(record(BOB, "2026-05-02T10:00:00Z", action="withdraw", categories=("essential",)))
    log.append(record(CAROL, "2026-05-02T11:00:00Z", action="reject_all", categories=()))
    log.append(record(CAROL, "2026-05-02T12:00:00Z", agent="scanner"))  # a tool: out
    log.append(record(CAROL, "2026-05-03T00:00:00Z"))  # the end, excluded: out
    figures = log.figures(date(2026, 5, 1), date(2026, 5, 2), keys)
    assert figures.visitors == 3
    assert figures.rows == (
        FigureRow("2026-05-01", "accept_all", "en", "api", 1, False, 1, dict.fromkeys(keys, 1)),
        FigureRow("2026-05-01", "accept_all", "fr", "api", 1, True, 1, dict.fromkeys(keys, 1)),
        FigureRow("2026-05-01", "custom", "en", "api", 1, False, 1, {**none, "statistics": 1}),
        FigureRow("2026-05-02", "reject_all", "en", "api", 1, False, 1, none),
        FigureRow("2026-05-02", "withdraw", "en", "api", 1, False, 1, none),
    )


def test_figures_of_an_empty_period(log: SQLiteStore) -> None:
    log.append(record())
    figures = log.figures(date(2027, 1, 1), date(2027, 1, 31), ("statistics",))
    assert figures == Figures(rows=(), visitors=0)


def test_export_streams_a_period_in_order_with_every_column(log: SQLiteStore) -> None:
    log.append(record(BOB, "2026-05-02T00:00:00Z", agent="qa"))
    log.append(record(ALICE, "2026-05-01T00:00:00Z", text_hash="h1"), "Words")
    log.append(record(CAROL, "2026-06-01T00:00:00Z"))
    rows = log.export(date(2026, 5, 1), date(2026, 5, 31))
    assert not isinstance(rows, list), "a generator, not a list"
    rows = list(rows)
    assert [tuple(row) for row in rows] == [COLUMNS, COLUMNS]
    assert [(r["consent_id"], r["agent"], r["text_hash"]) for r in rows] == [
        (ALICE, None, "h1"),
        (BOB, "qa", None),
    ]
    assert rows[0]["categories"] == ["essential", "statistics"]
    assert rows[0]["gpc"] is False


def test_anonymise_one_consent_id(log: SQLiteStore) -> None:
    log.append(record(ALICE))
    log.append(record(ALICE, action="withdraw"))
    log.append(record(BOB))
    assert log.anonymise(ALICE, NOW) == 2
    assert log.history(ALICE) == []
    assert log.count(ANONYMISED) == 2
    assert log.count(BOB) == 1
    assert log.anonymise(ALICE, NOW) == 0, "nothing left to anonymise"
    rows = raw(log.path).execute(
        "SELECT ip_prefix, anonymised_at FROM consent_log WHERE consent_id = ?", [ANONYMISED]
    )
    assert [tuple(r) for r in rows] == [(None, "2026-06-01T00:00:00Z")] * 2


def test_texts_of_several_hashes(log: SQLiteStore) -> None:
    log.append(record(text_hash="h1", surface="banner"), "One")
    log.append(record(text_hash="h2", surface="preferences"), "Two")
    assert log.texts(["h2", "h1", "nope", "h1"]) == {"h1": "One", "h2": "Two"}
    assert log.texts([]) == {}


def test_the_audit_trail_is_append_only(log: SQLiteStore) -> None:
    log.audit(AuditEntry("2026-06-01T00:00:00Z", "anonymise", ALICE, "203.0.113.0"))
    log.audit(AuditEntry("2026-06-01T00:01:00Z", "export", "2026-05-01..2026-05-31", None))
    assert log.audit_trail(ALICE) == [
        {
            "created_at": "2026-06-01T00:00:00Z",
            "action": "anonymise",
            "target": ALICE,
            "ip_prefix": "203.0.113.0",
        }
    ]
    assert [row["action"] for row in log.audit_trail()] == ["anonymise", "export"]
    for statement in ("UPDATE admin_audit SET target = 'x'", "DELETE FROM admin_audit"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw(log.path).execute(statement)


def test_login_failures_per_prefix_and_period(log: SQLiteStore) -> None:
    for minute in (0, 5, 10):
        log.add_login_failure("203.0.113.0", f"2026-06-01T10:{minute:02d}:00Z")
    log.add_login_failure("198.51.100.0", "2026-06-01T10:10:00Z")
    assert log.login_failures("203.0.113.0", "2026-06-01T10:00:00Z") == 3
    assert log.login_failures("203.0.113.0", "2026-06-01T10:05:00Z") == 2
    assert log.login_failures("192.0.2.0", "2026-06-01T00:00:00Z") == 0
    # A day later the old failures are pruned on the next one.
    log.add_login_failure("198.51.100.0", "2026-06-02T10:11:00Z")
    assert log.login_failures("203.0.113.0", "2026-01-01T00:00:00Z") == 0


V1_RECORDS = (
    record(ALICE, "2026-04-30T10:00:00Z", categories=("essential",), action="reject_all"),
    record(ALICE, "2026-05-01T10:00:00Z", action="custom"),
    record(ALICE, "2026-05-01T11:00:00Z", action="withdraw", categories=("essential",)),
    record(BOB, "2026-05-02T10:00:00Z", lang="fr", gpc=True),
    record(BOB, "2026-05-02T10:00:00Z", action="custom", categories=("essential",)),
)


def test_migrating_a_version_1_log_keeps_its_records(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    conn = raw(path)
    conn.execute("BEGIN")
    for statement in store_module._statements(store_module._MIGRATIONS[0]):
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    for r in V1_RECORDS:
        row = {**dataclasses.asdict(r), "categories": json.dumps(r.categories), "gpc": int(r.gpc)}
        del row["agent"]
        conn.execute(
            f"INSERT INTO consent_log ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )
    conn.execute("COMMIT")
    store = SQLiteStore(path)
    assert store.migrate() == SCHEMA_VERSION
    rows = list(store.export(date(2026, 1, 1), date(2026, 12, 31)))
    assert [(r["consent_id"], r["action"], r["agent"]) for r in rows] == [
        (r.consent_id, r.action, None) for r in V1_RECORDS
    ]
    # The figures of the migrated log are those of the same records appended now.
    fresh = SQLiteStore(tmp_path / "v2.db")
    fresh.migrate()
    for r in V1_RECORDS:
        fresh.append(r)
    keys = ("statistics", "marketing")
    for first, last in [(date(2026, 5, 1), date(2026, 5, 2)), (date(2026, 4, 1), date(2026, 5, 1))]:
        assert store.figures(first, last, keys) == fresh.figures(first, last, keys)
    assert store.figures(date(2026, 5, 1), date(2026, 5, 2), keys).visitors == 2
    assert store.figures(date(2026, 5, 2), date(2026, 5, 2), keys).visitors == 1
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw(path).execute("UPDATE consent_log SET agent = 'qa'")
    store.close()
    fresh.close()


def test_append_many_writes_in_batches_like_append(
    log: SQLiteStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many records at once (demo data, benchmarks) end up exactly as appended one by
    one: same rows, same previous choice, same figures, texts once per hash."""
    monkeypatch.setattr(store_module, "APPEND_BATCH", 2)
    records = [
        record(ALICE, "2026-05-01T08:00:00Z", text_hash="h1", surface="banner"),
        record(ALICE, "2026-05-02T08:00:00Z", action="custom", text_hash="h2"),
        record(BOB, "2026-05-02T09:00:00Z", text_hash="h1", lang="fr", gpc=True),
        record(ALICE, "2026-05-03T08:00:00Z", action="withdraw", categories=("essential",)),
        record(CAROL, "2026-05-03T09:00:00Z", agent="qa"),
    ]
    texts = {"h1": "Banner words", "h2": "Dialog words", "unused": "Never shown"}
    assert log.append_many(iter(records), texts) == 5
    one_by_one = SQLiteStore(tmp_path / "one.db")
    one_by_one.migrate()
    for r in records:
        one_by_one.append(r, texts.get(r.text_hash or ""))

    def table(store: SQLiteStore, sql: str) -> list[tuple]:
        return [tuple(row) for row in raw(store.path).execute(sql)]

    for sql in (
        "SELECT * FROM consent_log ORDER BY id",
        "SELECT hash, text, first_seen_at FROM consent_texts ORDER BY hash",
    ):
        assert table(log, sql) == table(one_by_one, sql)
    keys = ("statistics", "marketing")
    period = (date(2026, 5, 1), date(2026, 5, 3))
    assert log.figures(*period, keys) == one_by_one.figures(*period, keys)
    assert log.texts(["h1", "h2", "unused"]) == {"h1": "Banner words", "h2": "Dialog words"}
    assert log.append_many([], {}) == 0
    one_by_one.close()


def test_a_tools_record_does_not_hide_a_visitor(log: SQLiteStore) -> None:
    """A tool's choice under a visitor's id (a copied token) is no earlier choice of the
    visitor's: the visitor still counts in a period that starts after it."""
    log.append(record(CAROL, "2026-05-01T10:00:00Z", agent="qa"))
    log.append(record(CAROL, "2026-05-02T10:00:00Z"))
    assert log.figures(date(2026, 5, 2), date(2026, 5, 2), ("statistics",)).visitors == 1
    assert log.figures(date(2026, 5, 1), date(2026, 5, 2), ("statistics",)).visitors == 1
