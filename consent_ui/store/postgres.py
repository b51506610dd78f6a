"""The proof-of-consent log on PostgreSQL, for several web nodes writing to one database.

The same tables, columns and guarantees as the SQLite engine: PL/pgSQL triggers refuse
``DELETE``, ``TRUNCATE`` and every ``UPDATE`` but retention's anonymisation; a record is
acknowledged only once its transaction is committed (``synchronous_commit`` as the server
has it, ``on`` by default). Migrations run at start-up under ``pg_advisory_lock``, so
nodes that start at the same moment take turns. Connections come from a ``psycopg_pool``
pool opened lazily in each process (gunicorn forks after loading the app only with
``--preload``; either way a worker never inherits its parent's connections).

The figures are counters kept by a trigger, like SQLite's, but spread over
``FIGURE_SHARDS`` rows per group (the writing backend's pid picks one): one counter row
per group is a hot row that every concurrent insert waits on until the previous one
commits (see docs/BENCHMARKS.md for the measurement). ``figures`` sums the shards.

Withdrawals and erasures reach every node at once through ``LISTEN``/``NOTIFY``: triggers
notify the consent id of each withdraw record and of each erasure's audit row at commit,
and a listener thread per process keeps the set of ended ids (``withdrawals``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import socket
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from ..agents import AGENTS
from ..consent import LOG_ACTIONS, SURFACES, isoformat, utcnow
from ..errors import ConfigError, StoreUnavailable
from . import (
    ANONYMISED,
    COLUMNS,
    ERASURE,
    HISTORY_COLUMNS,
    AuditEntry,
    Figures,
    Record,
    RetentionReport,
    decoded,
    figures_from,
    period,
)

log = logging.getLogger("consent_ui")

#: Seconds to wait for a connection (from the pool, or a new one) before answering 503.
CONNECT_TIMEOUT = 5
#: Connections per process: gunicorn's threads of one worker, and some slack.
POOL_MAX_SIZE = 10
#: Records written per transaction by ``append_many``.
APPEND_BATCH = 10_000
#: Counter rows per figures group (see the module's docstring).
FIGURE_SHARDS = 16
#: The key of the advisory lock migrations run under ("consent-ui" in ASCII, as a number).
MIGRATION_LOCK = 0x636F6E73656E74
#: The channel withdrawals are notified on.
WITHDRAWALS_CHANNEL = "consent_ui_withdrawals"
#: How often the listener checks that its connection is alive when nothing happens.
HEARTBEAT_SECONDS = 5.0
#: The longest the listener waits between two attempts to reach a lost database.
RECONNECT_MAX_DELAY = 2.0
#: Rows fetched at a time by an export (constant memory whatever the period).
EXPORT_BATCH = 1000


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _guard(table: str, allowed: str = "false") -> str:
    """A trigger function refusing changes to ``table`` except when ``allowed`` holds."""
    return f"""
    CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND ({allowed}) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION '{table} is append-only' USING ERRCODE = 'integrity_constraint_violation';
    END $$;
    CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION {table}_append_only();
    CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only();
    """


#: Retention's anonymisation, the one update the log accepts (as in the SQLite engine).
_ANONYMISATION = f"""
    OLD.anonymised_at IS NULL AND NEW.anonymised_at IS NOT NULL
    AND NEW.consent_id = '{ANONYMISED}' AND NEW.ip_prefix IS NULL
    AND (NEW.id, NEW.created_at, NEW.action, NEW.categories, NEW.revision, NEW.text_hash,
         NEW.lang, NEW.surface, NEW.page, NEW.gpc, NEW.expires_at, NEW.agent,
         NEW.previous_choice_at)
    IS NOT DISTINCT FROM
        (OLD.id, OLD.created_at, OLD.action, OLD.categories, OLD.revision, OLD.text_hash,
         OLD.lang, OLD.surface, OLD.page, OLD.gpc, OLD.expires_at, OLD.agent,
         OLD.previous_choice_at)
"""

_MIGRATIONS = (
    # 1: the log as SQLite's schema 2 has it (texts, agent, previous choice, figures,
    # audit trail, login failures), the append-only guards, and withdrawals notified.
    f"""
    CREATE TABLE consent_texts (
        hash TEXT PRIMARY KEY,
        lang TEXT NOT NULL,
        revision INTEGER NOT NULL,
        text TEXT NOT NULL,
        first_seen_at TEXT NOT NULL
    );
    CREATE TABLE consent_log (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        consent_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ({_quoted(LOG_ACTIONS)})),
        categories JSONB NOT NULL CHECK (jsonb_typeof(categories) = 'array'),
        revision INTEGER NOT NULL,
        text_hash TEXT REFERENCES consent_texts(hash),
        lang TEXT NOT NULL,
        surface TEXT NOT NULL CHECK (surface IN ({_quoted(SURFACES)})),
        page TEXT,
        gpc BOOLEAN NOT NULL,
        expires_at TEXT,
        ip_prefix TEXT,
        anonymised_at TEXT,
        agent TEXT CHECK (agent IN ({_quoted(AGENTS)})),
        previous_choice_at TEXT
    );
    CREATE INDEX consent_log_consent_id ON consent_log (consent_id);
    CREATE INDEX consent_log_period ON consent_log
        (created_at, agent, action, previous_choice_at);
    CREATE INDEX consent_log_withdrawals ON consent_log (created_at) WHERE action = 'withdraw';
    {_guard("consent_log", _ANONYMISATION)}
    {_guard("consent_texts")}

    CREATE TABLE consent_figures (
        day TEXT NOT NULL,
        action TEXT NOT NULL,
        lang TEXT NOT NULL,
        surface TEXT NOT NULL,
        revision INTEGER NOT NULL,
        gpc BOOLEAN NOT NULL,
        category TEXT NOT NULL,
        shard SMALLINT NOT NULL,
        records BIGINT NOT NULL,
        PRIMARY KEY (day, action, lang, surface, revision, gpc, category, shard)
    ) WITH (fillfactor = 50);
    CREATE FUNCTION consent_log_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO consent_figures AS f
            (day, action, lang, surface, revision, gpc, category, shard, records)
        SELECT substr(NEW.created_at, 1, 10), NEW.action, NEW.lang, NEW.surface,
            NEW.revision, NEW.gpc, c.value, pg_backend_pid() % {FIGURE_SHARDS}, 1
        FROM (SELECT '' AS value UNION ALL
              SELECT jsonb_array_elements_text(NEW.categories)) AS c
        ORDER BY c.value
        ON CONFLICT (day, action, lang, surface, revision, gpc, category, shard)
        DO UPDATE SET records = f.records + 1;
        RETURN NULL;
    END $$;
    CREATE TRIGGER consent_log_count AFTER INSERT ON consent_log
        FOR EACH ROW WHEN (NEW.agent IS NULL) EXECUTE FUNCTION consent_log_count();

    CREATE FUNCTION consent_log_notify_withdrawal() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('{WITHDRAWALS_CHANNEL}', NEW.created_at || ' ' || NEW.consent_id);
        RETURN NULL;
    END $$;
    CREATE TRIGGER consent_log_notify_withdrawal AFTER INSERT ON consent_log
        FOR EACH ROW WHEN (NEW.action = 'withdraw')
        EXECUTE FUNCTION consent_log_notify_withdrawal();

    CREATE TABLE admin_audit (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        ip_prefix TEXT
    );
    CREATE INDEX admin_audit_target ON admin_audit (target);
    {_guard("admin_audit")}
    CREATE TABLE admin_login_failures (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        ip_prefix TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX admin_login_failures_prefix ON admin_login_failures (ip_prefix, created_at);
    """,  # noqa: S608 - constants of this module, no input
    # 2: an erasure ends its id's consent as a withdrawal does (its records no longer
    # name it): notified on the same channel.
    f"""
    CREATE FUNCTION admin_audit_notify_erasure() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('{WITHDRAWALS_CHANNEL}', NEW.created_at || ' ' || NEW.target);
        RETURN NULL;
    END $$;
    CREATE TRIGGER admin_audit_notify_erasure AFTER INSERT ON admin_audit
        FOR EACH ROW WHEN (NEW.action = '{ERASURE}')
        EXECUTE FUNCTION admin_audit_notify_erasure();
    """,
)

#: Every consent id ended within the window: withdrawn, or erased by an operator.
_ENDED = (
    "SELECT consent_id, created_at FROM consent_log"
    " WHERE action = 'withdraw' AND created_at >= %(since)s"
    " UNION ALL SELECT target, created_at FROM admin_audit"
    " WHERE action = %(erasure)s AND created_at >= %(since)s"
)

#: The schema version ``migrate`` leaves.
SCHEMA_VERSION = len(_MIGRATIONS)

_INSERT = """
    WITH text AS (
        INSERT INTO consent_texts (hash, lang, revision, text, first_seen_at)
        SELECT %(text_hash)s, %(lang)s, %(revision)s, %(text)s, %(created_at)s
        WHERE %(text)s::text IS NOT NULL
        ON CONFLICT (hash) DO NOTHING
    )
    INSERT INTO consent_log (consent_id, created_at, action, categories, revision, text_hash,
        lang, surface, page, gpc, expires_at, ip_prefix, agent, previous_choice_at)
    VALUES (%(consent_id)s, %(created_at)s, %(action)s, %(categories)s, %(revision)s,
        %(text_hash)s, %(lang)s, %(surface)s, %(page)s, %(gpc)s, %(expires_at)s,
        %(ip_prefix)s, %(agent)s,
        (SELECT max(created_at) FROM consent_log
         WHERE consent_id = %(consent_id)s AND action != 'withdraw' AND agent IS NULL))
    RETURNING id
"""

#: Taken around migrations (a session lock: held until unlocked or disconnected).
_lock_sql = "SELECT pg_advisory_lock(%s)"

_ANONYMISE = (
    "UPDATE consent_log SET consent_id = %s, ip_prefix = NULL, anonymised_at = %s"
    " WHERE consent_id = %s AND anonymised_at IS NULL"
)


def _params(record: Record, text: str | None) -> dict[str, Any]:
    return {
        "consent_id": record.consent_id,
        "created_at": record.created_at,
        "action": record.action,
        "categories": json.dumps(list(record.categories)),
        "revision": record.revision,
        "text_hash": record.text_hash,
        "text": text if record.text_hash else None,
        "lang": record.lang,
        "surface": record.surface,
        "page": record.page,
        "gpc": record.gpc,
        "expires_at": record.expires_at,
        "ip_prefix": record.ip_prefix,
        "agent": record.agent,
    }


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}@" if parts.username else ""
    return parts._replace(netloc=f"{user}{netloc}").geturl()


class PostgresStore:
    """The consent log in a PostgreSQL database; a connection pool per process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.created = False
        self._pool: ConnectionPool | None = None
        self._pool_pid = 0
        self._lock = threading.Lock()
        self._feeds: list[PostgresWithdrawals] = []

    # Connections ---------------------------------------------------------------------

    def connect(self, **kwargs: Any) -> psycopg.Connection:
        """A connection of its own (migrations, exports, the listener), not from the pool."""
        try:
            return psycopg.connect(self.url, connect_timeout=CONNECT_TIMEOUT, **kwargs)
        except psycopg.OperationalError as e:
            raise StoreUnavailable() from e

    @property
    def pool(self) -> ConnectionPool:
        pid = os.getpid()
        if self._pool is None or self._pool_pid != pid:
            with self._lock:
                if self._pool is None or self._pool_pid != pid:
                    # A pool inherited through fork belongs to the parent: leave it be.
                    self._pool = ConnectionPool(
                        self.url,
                        min_size=1,
                        max_size=POOL_MAX_SIZE,
                        timeout=CONNECT_TIMEOUT,
                        kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT},
                        name="consent-ui",
                        open=False,
                    )
                    self._pool.open(wait=False)
                    self._pool_pid = pid
        return self._pool

    def renew_pool(self) -> None:
        """A new pool at once (the database is back after a loss): the old one would wait
        out its reconnection backoff, answering 503 for seconds after the outage."""
        with self._lock:
            old, self._pool = self._pool, None
        if old is not None and self._pool_pid == os.getpid():
            threading.Thread(target=old.close, kwargs={"timeout": 1.0}, daemon=True).start()

    def _run(self, sql: str, params: Any = None, *, rows: bool = True) -> list[Any]:
        """One statement in autocommit on a pooled connection; 503 when unreachable."""
        try:
            with self.pool.connection() as conn:
                cursor = conn.execute(sql, params)
                return cursor.fetchall() if rows else [cursor.rowcount]
        except (psycopg.OperationalError, PoolTimeout) as e:
            raise StoreUnavailable() from e

    # The interface ---------------------------------------------------------------------

    def migrate(self) -> int:
        """Create or upgrade the schema under an advisory lock; returns the version.

        Start-up calls it: a database it cannot reach stops start-up with one line."""
        try:
            conn = psycopg.connect(self.url, connect_timeout=CONNECT_TIMEOUT, autocommit=True)
        except psycopg.OperationalError as e:
            lines = [line.strip() for line in str(e).splitlines() if line.strip()]
            reason = lines[0] if lines else type(e).__name__
            raise ConfigError(
                "CONSENT_DATABASE", f"cannot reach {redacted(self.url)} ({reason})"
            ) from None
        with conn:
            conn.execute(_lock_sql, [MIGRATION_LOCK])
            try:
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS consent_ui_schema"
                    " (version INTEGER NOT NULL, migrated_at TEXT NOT NULL)"
                )
                (version,) = conn.execute(
                    "SELECT coalesce(max(version), 0) FROM consent_ui_schema"
                ).fetchone()
                self.created = self.created or version == 0
                if version > SCHEMA_VERSION:
                    raise ConfigError(
                        "CONSENT_DATABASE",
                        f"the log has schema version {version}, newer than this "
                        f"consent-ui's {SCHEMA_VERSION}: upgrade consent-ui",
                    )
                for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
                    with conn.transaction():
                        conn.execute(script)
                        conn.execute(
                            "INSERT INTO consent_ui_schema (version, migrated_at) VALUES (%s, %s)",
                            [number, isoformat(utcnow())],
                        )
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK])
        return SCHEMA_VERSION

    def append(self, record: Record, text: str | None = None) -> int:
        # One statement in autocommit: committed (durable) when the answer comes back.
        return self._run(_INSERT, _params(record, text))[0][0]

    def append_many(self, records: Iterable[Record], texts: Mapping[str, str]) -> int:
        written = 0
        batch: list[dict[str, Any]] = []

        def flush() -> None:
            try:
                with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
                    cur.executemany(_INSERT, batch)
            except (psycopg.OperationalError, PoolTimeout) as e:
                raise StoreUnavailable() from e
            batch.clear()

        for record in records:
            batch.append(_params(record, texts.get(record.text_hash or "")))
            written += 1
            if len(batch) >= APPEND_BATCH:
                flush()
        if batch:
            flush()
        return written

    def history(self, consent_id: str) -> list[dict[str, Any]]:
        return [
            decoded(row)
            for row in self._dicts(
                f"SELECT {', '.join(HISTORY_COLUMNS)} FROM consent_log"  # noqa: S608
                " WHERE consent_id = %s ORDER BY id",
                [consent_id],
            )
        ]

    def _dicts(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        try:
            with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
                return cursor.execute(sql, params).fetchall()
        except (psycopg.OperationalError, PoolTimeout) as e:
            raise StoreUnavailable() from e

    def text(self, text_hash: str) -> str | None:
        return self.texts([text_hash]).get(text_hash)

    def texts(self, hashes: Iterable[str]) -> dict[str, str]:
        wanted = sorted(set(hashes))
        if not wanted:
            return {}
        return dict(
            self._run("SELECT hash, text FROM consent_texts WHERE hash = ANY(%s)", [wanted])
        )

    def count(self, consent_id: str | None = None) -> int:
        if consent_id is None:
            return self._run("SELECT count(*) FROM consent_log")[0][0]
        return self._run("SELECT count(*) FROM consent_log WHERE consent_id = %s", [consent_id])[0][
            0
        ]

    def figures(self, first: date, last: date, categories: Sequence[str]) -> Figures:
        counts = self._run(
            # The sum of the group's FIGURE_SHARDS counter rows.
            "SELECT day, action, lang, surface, revision, gpc, category, sum(records)::bigint"
            " FROM consent_figures WHERE day >= %s AND day <= %s"
            " GROUP BY day, action, lang, surface, revision, gpc, category"
            " ORDER BY day, action, lang, surface, revision, gpc",
            [first.isoformat(), last.isoformat()],
        )
        start, end = period(first, last)
        visitors = self._run(
            # A choice whose id made no other choice earlier in the period is its first.
            "SELECT count(*) FROM consent_log WHERE agent IS NULL"
            " AND created_at >= %s AND created_at < %s AND action != 'withdraw'"
            " AND (previous_choice_at IS NULL OR previous_choice_at < %s)",
            [start, end, start],
        )[0][0]
        return figures_from(counts, visitors, categories)

    def export(self, first: date, last: date) -> Iterator[dict[str, Any]]:
        start, end = period(first, last)
        # A connection of its own and a server-side cursor: the rows stream.
        conn = self.connect()
        try:
            with conn.transaction(), conn.cursor("consent_export", row_factory=dict_row) as cur:
                cur.itersize = EXPORT_BATCH
                cur.execute(
                    f"SELECT {', '.join(COLUMNS)} FROM consent_log"  # noqa: S608
                    " WHERE created_at >= %s AND created_at < %s ORDER BY created_at, id",
                    [start, end],
                )
                for row in cur:
                    yield decoded(row)
        except psycopg.OperationalError as e:
            raise StoreUnavailable() from e
        finally:
            conn.close()

    def anonymise(self, consent_id: str, now: datetime) -> int:
        return self._run(_ANONYMISE, [ANONYMISED, isoformat(now), consent_id], rows=False)[0]

    def anonymise_inactive(
        self, cutoff: datetime, now: datetime, *, dry_run: bool = False
    ) -> RetentionReport:
        cutoff_s, now_s = isoformat(cutoff), isoformat(now)
        inactive = (
            "SELECT consent_id FROM consent_log WHERE anonymised_at IS NULL"
            " GROUP BY consent_id HAVING max(created_at) < %(cutoff)s"
        )
        if dry_run:
            sql = (
                "SELECT count(DISTINCT consent_id), count(*) FROM consent_log"  # noqa: S608
                f" WHERE anonymised_at IS NULL AND consent_id IN ({inactive})"
            )
        else:
            sql = (
                f"WITH inactive AS ({inactive}), done AS ("  # noqa: S608
                " UPDATE consent_log AS l SET consent_id = %(anonymised)s, ip_prefix = NULL,"
                " anonymised_at = %(now)s FROM inactive"
                " WHERE l.consent_id = inactive.consent_id AND l.anonymised_at IS NULL"
                " RETURNING inactive.consent_id)"
                " SELECT count(DISTINCT consent_id), count(*) FROM done"
            )
        ids, rows = self._run(sql, {"cutoff": cutoff_s, "now": now_s, "anonymised": ANONYMISED})[0]
        return RetentionReport(cutoff=cutoff_s, consent_ids=ids, rows=rows)

    def audit(self, entry: AuditEntry) -> None:
        self._run(
            "INSERT INTO admin_audit (created_at, action, target, ip_prefix)"
            " VALUES (%s, %s, %s, %s)",
            [entry.created_at, entry.action, entry.target, entry.ip_prefix],
            rows=False,
        )

    def audit_trail(self, target: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT created_at, action, target, ip_prefix FROM admin_audit"
        if target is None:
            return self._dicts(sql + " ORDER BY id")
        return self._dicts(sql + " WHERE target = %s ORDER BY id", [target])

    def add_login_failure(self, ip_prefix: str, at: str) -> None:
        # Failures older than a day decide nothing any more.
        day_before = isoformat(datetime.fromisoformat(at) - timedelta(days=1))
        self._run(
            "WITH pruned AS (DELETE FROM admin_login_failures WHERE created_at < %s)"
            " INSERT INTO admin_login_failures (ip_prefix, created_at) VALUES (%s, %s)",
            [day_before, ip_prefix, at],
            rows=False,
        )

    def login_failures(self, ip_prefix: str, since: str) -> int:
        return self._run(
            "SELECT count(*) FROM admin_login_failures WHERE ip_prefix = %s AND created_at >= %s",
            [ip_prefix, since],
        )[0][0]

    def withdrawals(self, window: timedelta) -> PostgresWithdrawals:
        feed = PostgresWithdrawals(self, window)
        self._feeds.append(feed)
        return feed

    def close(self) -> None:
        for feed in self._feeds:
            feed.close()
        self._feeds.clear()
        if self._pool is not None and self._pool_pid == os.getpid():
            self._pool.close()
        self._pool = None


class PostgresWithdrawals:
    """Ended consent ids (withdrawn, or erased) as they are committed, on any node: a
    listener thread ``LISTEN``s on the withdrawals channel and queues each notified id.

    When the listener is not connected (start-up, a lost database), ``fresh`` reads the
    withdrawals of the period itself, through the pool: a round trip per call rather
    than a stale answer, and a 503 when the database cannot be reached.
    """

    def __init__(self, store: PostgresStore, window: timedelta) -> None:
        self._store = store
        self._window = window
        self._pending: deque[tuple[str, str]] = deque()
        self._changed = threading.Condition()
        self._live = False
        self._ever_live = False
        self._busy = False
        self._batches = 0
        self._fd = -1
        self._stop = threading.Event()
        # ``close`` writes a byte here to wake the listener out of ``select`` at once.
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread = threading.Thread(
            target=self._listen, name="consent-ui-withdrawals", daemon=True
        )
        self._thread.start()

    def _window_params(self) -> dict[str, str]:
        return {"since": isoformat(utcnow() - self._window), "erasure": ERASURE}

    def fresh(self) -> list[tuple[str, str]]:
        """The withdrawals notified since the last call: ``(consent_id, created_at)``."""
        with self._changed:
            # Give a listener that is starting a moment; one that lost its connection
            # is not waited for: read the withdrawals ourselves.
            live = self._live or (
                not self._ever_live and self._changed.wait_for(lambda: self._live, timeout=1.0)
            )
        if not live:
            return self._read()
        with self._changed:
            if self._busy or _readable(self._fd):
                # A notification has reached this host: wait for the listener to queue it.
                seen = self._batches
                self._changed.wait_for(
                    lambda: self._batches != seen and not self._busy, timeout=0.5
                )
            taken = list(self._pending)
            self._pending.clear()
            return taken

    def _read(self) -> list[tuple[str, str]]:
        return [
            (consent_id, created_at)
            for consent_id, created_at in self._store._run(_ENDED, self._window_params())
        ]

    def _listen(self) -> None:
        delay = 0.1
        while not self._stop.is_set():
            try:
                conn = psycopg.connect(
                    self._store.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT
                )
            except psycopg.Error:
                self._stop.wait(delay)
                delay = min(delay * 2, RECONNECT_MAX_DELAY)
                continue
            delay = 0.1
            if self._ever_live:
                self._store.renew_pool()
            try:
                with conn:
                    self._serve(conn)
            except (psycopg.Error, OSError, ValueError):
                pass  # lost: connect again, and read everything again
            except Exception:  # never let the thread die: requests would read each time
                log.exception("the withdrawals listener failed; connecting again")
            finally:
                with self._changed:
                    self._live = False
                    self._fd = -1
                    self._changed.notify_all()

    def _serve(self, conn: psycopg.Connection) -> None:
        # Listen first, then read: nothing committed in between is missed.
        conn.execute(f"LISTEN {WITHDRAWALS_CHANNEL}")
        known = conn.execute(_ENDED, self._window_params()).fetchall()
        with self._changed:
            self._pending.clear()  # what it held is in ``known`` too
            self._pending.extend(known)
            self._fd = conn.fileno()
            self._live = self._ever_live = True
            self._batches += 1
            self._changed.notify_all()
        while not self._stop.is_set():
            ready, _, _ = select.select([conn.fileno(), self._wake_r], [], [], HEARTBEAT_SECONDS)
            if self._stop.is_set():
                return
            with self._changed:
                self._busy = True
            notified: list[tuple[str, str]] = []
            try:
                if conn.fileno() not in ready:
                    conn.execute("SELECT 1")  # a dead server shows here
                for n in conn.notifies(timeout=0):
                    created_at, consent_id = n.payload.split(" ", 1)
                    notified.append((consent_id, created_at))
            finally:
                with self._changed:
                    self._pending.extend(notified)
                    self._busy = False
                    self._batches += 1
                    self._changed.notify_all()

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")
        self._thread.join(timeout=HEARTBEAT_SECONDS + 1)
        self._wake_r.close()
        self._wake_w.close()


def _readable(fd: int) -> bool:
    if fd < 0:
        return False
    try:
        return bool(select.select([fd], [], [], 0)[0])
    except (OSError, ValueError):
        return False
