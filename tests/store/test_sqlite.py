"""What only the SQLite engine has: its file and folder, WAL with ``synchronous=FULL``,
the write lock (a busy log is unavailable, not acknowledged), group commit, the column
encodings, and its migrations from schema 1 (the v1 log) and 2 to the current one."""

from __future__ import annotations

import dataclasses
import fcntl
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from consent_ui.errors import StoreUnavailable
from consent_ui.store import sqlite as store_module
from consent_ui.store.sqlite import SCHEMA_VERSION, SQLiteStore
from tests.store.conftest import ALICE, BOB, record


@pytest.fixture
def log(tmp_path: Path) -> Iterator[SQLiteStore]:
    store = SQLiteStore(tmp_path / "consent.db")
    store.migrate()
    yield store
    store.close()


def raw(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


def test_columns_are_json_text_and_integers(log: SQLiteStore) -> None:
    first = log.append(record())
    second = log.append(record(gpc=True))
    assert second == first + 1
    row = raw(log.path).execute("SELECT categories, gpc FROM consent_log WHERE id = ?", [first])
    categories, gpc = row.fetchone()
    assert json.loads(categories) == ["essential", "statistics"]
    assert gpc == 0


def test_migrate_is_idempotent(log: SQLiteStore) -> None:
    log.append(record())
    assert log.migrate() == SCHEMA_VERSION
    assert log.migrate() == SCHEMA_VERSION
    conn = raw(log.path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"consent_log", "consent_texts", "consent_figures", "admin_audit"} <= tables
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "consent_log_withdrawals" in indexes
    assert log.count() == 1, "migrating again keeps the records"


def test_migrate_creates_the_folder(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "deep" / "er" / "consent.db")
    assert store.migrate() == SCHEMA_VERSION
    assert store.path.exists()


def test_wal_and_synchronous_full(log: SQLiteStore) -> None:
    assert raw(log.path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert log.db.execute("PRAGMA synchronous").fetchone()[0] == 2


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


def test_migrating_a_version_2_log_adds_the_withdrawals_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "v2.db"
    with monkeypatch.context() as m:
        m.setattr(store_module, "_MIGRATIONS", store_module._MIGRATIONS[:2])
        old = SQLiteStore(path)
        old.migrate()
        for r in V1_RECORDS:
            old.append(r)
        old.close()
    assert raw(path).execute("PRAGMA user_version").fetchone()[0] == 2
    store = SQLiteStore(path)
    assert store.migrate() == SCHEMA_VERSION
    assert store.created is False
    plan = raw(path).execute(
        "EXPLAIN QUERY PLAN SELECT consent_id FROM consent_log"
        " WHERE action = 'withdraw' AND created_at >= '2026-01-01T00:00:00Z'"
    )
    assert "consent_log_withdrawals" in " ".join(str(tuple(row)) for row in plan)
    assert store.count() == len(V1_RECORDS)
    assert store.figures(date(2026, 5, 1), date(2026, 5, 2), ("statistics",)).visitors == 2
    store.close()


def test_appends_at_the_same_moment_share_one_commit_and_a_bad_one_fails_alone(
    log: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Group commit: while another process's writer holds the turn, six threads append;
    the first waits for the turn, the five others queue behind it and are committed
    together, each acknowledged once committed. A record the log refuses fails alone."""
    batches: list[int] = []
    commit = log._commit

    def counting(batch: list) -> None:
        batches.append(len(batch))
        commit(batch)

    monkeypatch.setattr(log, "_commit", counting)
    other_writer = open(f"{log.path}-lock", "a+b")  # noqa: SIM115
    fcntl.flock(other_writer, fcntl.LOCK_EX)
    results: dict[int, object] = {}

    def append(n: int) -> None:
        bad = {"text_hash": "never-stored"} if n == 3 else {}
        try:
            results[n] = log.append(record(page=f"/p/{n}", **bad))
        except Exception as e:
            results[n] = e

    first = threading.Thread(target=append, args=(0,))
    first.start()
    deadline = time.monotonic() + 10
    while batches != [1]:
        assert time.monotonic() < deadline
        time.sleep(0.005)  # the first thread took its batch and waits for the turn
    others = [threading.Thread(target=append, args=(n,)) for n in range(1, 6)]
    for thread in others:
        thread.start()
    while len(log._queue) < 5:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    assert log.count() == 0, "nothing is written while another writer holds the turn"
    fcntl.flock(other_writer, fcntl.LOCK_UN)
    other_writer.close()
    for thread in [first, *others]:
        thread.join(timeout=10)
    assert batches == [1, 5]
    assert isinstance(results.pop(3), sqlite3.IntegrityError)
    assert sorted(results.values()) == list(range(1, 6)), "five rows, one id each"
    assert sorted(r["page"] for r in log.export(date(2026, 1, 1), date(2026, 12, 31))) == [
        f"/p/{n}" for n in (0, 1, 2, 4, 5)
    ]
