"""Both engines behind one fixture: ``engine`` runs a test on SQLite and on PostgreSQL
(a throwaway cluster), with what a test needs beside the interface: raw SQL on the
engine's own connection (to prove the database itself refuses), its integrity error,
and a second store on the same database (another process or node)."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from consent_ui.store import Record, Store, open_store

ALICE = "11111111-1111-4111-8111-111111111111"
BOB = "22222222-2222-4222-8222-222222222222"
CAROL = "33333333-3333-4333-8333-333333333333"


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


@dataclass
class Engine:
    name: str
    database: str
    #: Raw SQL on a connection of the engine's own driver, outside the store.
    raw: Callable[[str], list[tuple[Any, ...]]]
    #: What the driver raises for a refused row (constraint, trigger).
    integrity_error: type[Exception]
    stores: list[Store] = field(default_factory=list)

    def open(self, *, migrate: bool = True) -> Store:
        """Another store on the same database (another worker or node)."""
        store = open_store(self.database)
        if migrate:
            store.migrate()
        self.stores.append(store)
        return store

    def close(self) -> None:
        for store in self.stores:
            store.close()


def _sqlite_raw(path: Path) -> Callable[[str], list[tuple[Any, ...]]]:
    def raw(sql: str) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            return [tuple(row) for row in conn.execute(sql).fetchall()]
        finally:
            conn.close()

    return raw


def _postgres_raw(url: str) -> Callable[[str], list[tuple[Any, ...]]]:
    import psycopg

    def raw(sql: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(url, autocommit=True) as conn:
            cursor = conn.execute(sql)
            return cursor.fetchall() if cursor.description else []

    return raw


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        path = tmp_path / "consent.db"
        found = Engine("sqlite", str(path), _sqlite_raw(path), sqlite3.DatabaseError)
    else:
        import psycopg

        url = request.getfixturevalue("postgres_url")
        found = Engine("postgres", url, _postgres_raw(url), psycopg.DatabaseError)
    yield found
    found.close()


@pytest.fixture
def log(engine: Engine) -> Store:
    return engine.open()
