"""What only the PostgreSQL engine has: migrations under an advisory lock (nodes that
start at the same moment), TRUNCATE refused, the schema table, a database out of reach
at start-up (one line, no password) and lost while running (StoreUnavailable, then
back by itself), and the figures' counters spread over shards."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta

import psycopg
import pytest

from consent_ui import rights
from consent_ui.consent import utcnow
from consent_ui.errors import ConfigError, StoreUnavailable
from consent_ui.store import postgres as store_module
from consent_ui.store.postgres import SCHEMA_VERSION, PostgresStore, redacted
from examples.postgres import PostgresCluster
from tests.store.conftest import ALICE, BOB, record


@pytest.fixture
def log(postgres_url: str) -> Iterator[PostgresStore]:
    store = PostgresStore(postgres_url)
    store.migrate()
    yield store
    store.close()


def raw(url: str, sql: str, params: object = None) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def test_nodes_starting_at_the_same_moment_migrate_once(postgres_url: str) -> None:
    """Eight stores migrate an empty database at once: the advisory lock makes them take
    turns, so the schema is made once and every one of them finds it whole."""
    starts = 8
    barrier = threading.Barrier(starts)
    versions: list[int] = []
    errors: list[BaseException] = []
    stores = [PostgresStore(postgres_url) for _ in range(starts)]

    def start(store: PostgresStore) -> None:
        barrier.wait()  # the starts overlap on purpose
        try:
            versions.append(store.migrate())
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=start, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert versions == [SCHEMA_VERSION] * starts
    assert sum(store.created for store in stores) >= 1
    # Each migration once, in order.
    assert raw(postgres_url, "SELECT version FROM consent_ui_schema ORDER BY version") == [
        (version,) for version in range(1, SCHEMA_VERSION + 1)
    ]
    stores[0].append(record())
    assert all(store.count() == 1 for store in stores)
    for store in stores:
        store.close()


class Rendezvous:
    """A connection that, once it has read the schema version, waits for the others:
    the overlap the lock must survive, made certain rather than left to chance."""

    def __init__(self, conn: psycopg.Connection, barrier: threading.Barrier) -> None:
        self._conn = conn
        self._barrier = barrier

    def execute(self, sql: str, *args: object, **kwargs: object) -> psycopg.Cursor:
        cursor = self._conn.execute(sql, *args, **kwargs)
        if "max(version)" in sql:
            self._barrier.wait(timeout=60)
        return cursor

    def __getattr__(self, name: str) -> object:
        return getattr(self._conn, name)

    def __enter__(self) -> Rendezvous:
        return self

    def __exit__(self, *exc: object) -> None:
        self._conn.__exit__(*exc)


def test_without_the_lock_the_same_starts_collide(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race the lock prevents is real: four starts that have all read "version 0"
    before any of them migrates, with the lock taken away, fail (a table made twice)."""
    starts = 4
    barrier = threading.Barrier(starts)
    connect = psycopg.connect
    monkeypatch.setattr(store_module, "_lock_sql", "SELECT %s")
    monkeypatch.setattr(
        store_module.psycopg, "connect", lambda *a, **k: Rendezvous(connect(*a, **k), barrier)
    )
    errors: list[BaseException] = []

    def start() -> None:
        try:
            PostgresStore(postgres_url).migrate()
        except (psycopg.Error, threading.BrokenBarrierError) as e:
            errors.append(e)
            barrier.abort()  # the others need not wait for this one

    threads = [threading.Thread(target=start) for _ in range(starts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    collisions = [e for e in errors if isinstance(e, psycopg.Error)]
    # Even the schema's own bookkeeping table (CREATE TABLE IF NOT EXISTS) can collide.
    assert collisions, f"four unlocked starts of one empty database all succeeded: {errors}"


def test_truncate_is_refused(log: PostgresStore, postgres_url: str) -> None:
    log.append(record())
    log.audit(store_module.AuditEntry("2026-06-01T00:00:00Z", "export", "x", None))
    for table in ("consent_log", "admin_audit"):
        with pytest.raises(psycopg.DatabaseError, match="append-only"):
            raw(postgres_url, f"TRUNCATE {table} CASCADE")
    assert log.count() == 1


def test_a_newer_schema_stops_start_up(log: PostgresStore, postgres_url: str) -> None:
    raw(
        postgres_url,
        "INSERT INTO consent_ui_schema (version, migrated_at) VALUES (%s, 'later')",
        [SCHEMA_VERSION + 1],
    )
    with pytest.raises(ConfigError, match="upgrade consent-ui"):
        PostgresStore(postgres_url).migrate()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql://consent:s3cret@db.example:5432/consent",
            "postgresql://consent@db.example:5432/consent",
        ),
        ("postgresql://consent@db.example/consent", "postgresql://consent@db.example/consent"),
        ("postgres://db.example/consent", "postgres://db.example/consent"),
    ],
)
def test_urls_are_shown_without_their_password(url: str, shown: str) -> None:
    assert redacted(url) == shown


def test_an_unreachable_database_stops_start_up_in_one_line(postgres: PostgresCluster) -> None:
    from examples.harness import free_port

    url = f"postgresql://consent:s3cret@127.0.0.1:{free_port()}/consent"
    with pytest.raises(ConfigError) as caught:
        PostgresStore(url).migrate()
    message = str(caught.value)
    assert message.startswith("CONSENT_DATABASE: cannot reach postgresql://consent@127.0.0.1:")
    assert "\n" not in message
    assert "s3cret" not in message


def test_figures_sum_the_shards_of_concurrent_writers(log: PostgresStore) -> None:
    threads, each = 6, 20

    def write(n: int) -> None:
        for i in range(each):
            log.append(record(f"{n:08d}-1111-4111-8111-{i:012d}", categories=("essential",)))

    workers = [threading.Thread(target=write, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    shards = raw(log.url, "SELECT count(DISTINCT shard) FROM consent_figures")[0][0]
    figures = log.figures(date(2026, 5, 1), date(2026, 5, 1), ("statistics",))
    assert [(row.records, row.granted) for row in figures.rows] == [
        (threads * each, {"statistics": 0})
    ]
    assert figures.visitors == threads * each
    assert shards >= 1


def test_a_lost_database_is_unavailable_then_back(
    postgres: PostgresCluster, log: PostgresStore
) -> None:
    """The server stops (like a crash): writes, reads and the withdrawal feed raise
    StoreUnavailable, never another error; once it is back, so is the store."""
    log.append(record())
    feed = log.withdrawals(timedelta(days=182))
    assert feed.fresh() == []
    postgres.stop_server("immediate")
    try:
        with pytest.raises(StoreUnavailable):
            log.append(record(BOB))
        with pytest.raises(StoreUnavailable):
            log.history(ALICE)
        with pytest.raises(StoreUnavailable):
            feed.fresh()
    finally:
        postgres.start_server()
    deadline = time.monotonic() + 30
    while True:  # back by itself: the listener renews the pool once it reconnects
        try:
            log.history(ALICE)
            break
        except StoreUnavailable:
            assert time.monotonic() < deadline, "the store did not come back"
            time.sleep(0.1)
    log.append(
        record(BOB, action="withdraw", created_at=store_module.isoformat(store_module.utcnow()))
    )
    assert log.count() == 2, "the refused record was not written; the next one was"
    assert BOB in {consent_id for consent_id, _ in feed.fresh()}


def test_migrating_a_version_1_database_notifies_erasures(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Version 2 adds the trigger that notifies an erasure as a withdrawal: a database
    made by version 1 keeps its records and gets it."""
    with monkeypatch.context() as version_1:
        version_1.setattr(store_module, "_MIGRATIONS", store_module._MIGRATIONS[:1])
        version_1.setattr(store_module, "SCHEMA_VERSION", 1)
        old = PostgresStore(postgres_url)
        assert old.migrate() == 1
        old.append(record(ALICE))
        old.close()

    log = PostgresStore(postgres_url)
    try:
        assert log.migrate() == SCHEMA_VERSION == 2
        assert log.count(ALICE) == 1
        feed = log.withdrawals(timedelta(days=182))
        assert feed.fresh() == []  # the listener is connected: what comes next is notified
        assert rights.erase(log, ALICE, now=utcnow(), ip_prefix=None) == 1
        deadline = time.monotonic() + 10
        ended: list[str] = []
        while ALICE not in ended and time.monotonic() < deadline:
            ended += [consent_id for consent_id, _ in feed.fresh()]
        assert ended == [ALICE]
    finally:
        log.close()
