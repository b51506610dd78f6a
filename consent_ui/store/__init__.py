"""The proof-of-consent log behind one interface, whatever engine keeps it.

``Store`` says what the product needs of the log (append, history, figures, exports,
anonymisation, the operator's audit trail and login throttling, migrations); each engine
is a module behind it, chosen by ``CONSENT_DATABASE`` in ``open_store``. Nothing above
this package knows which engine it talks to. The values that cross the interface are
plain frozen dataclasses and dicts, the same for every engine.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

#: What replaces the consent id of anonymised records (retention, erasure requests).
ANONYMISED = "anonymised"

#: The log's columns in their documented order (exports keep it).
COLUMNS = (
    "consent_id",
    "created_at",
    "action",
    "categories",
    "revision",
    "text_hash",
    "lang",
    "surface",
    "page",
    "gpc",
    "expires_at",
    "ip_prefix",
    "anonymised_at",
    "agent",
)

#: Columns a visitor or an operator gets back from one consent id's history.
HISTORY_COLUMNS = COLUMNS[1:12]


@dataclass(frozen=True)
class Record:
    """One row of ``consent_log``; ``ip_prefix`` is already truncated.

    ``agent`` is None for visitors, else the consent-ui tool that made the record
    (``"scanner"``, ``"qa"``): kept as proof like any record, left out of the figures.
    """

    consent_id: str
    created_at: str
    action: str
    categories: tuple[str, ...]
    revision: int
    text_hash: str | None
    lang: str
    surface: str
    page: str | None
    gpc: bool
    expires_at: str | None
    ip_prefix: str | None
    agent: str | None = None


@dataclass(frozen=True)
class RetentionReport:
    cutoff: str
    consent_ids: int
    rows: int


@dataclass(frozen=True)
class FigureRow:
    """How many records of one day share an action, language, surface, revision and GPC
    signal, and how many of them grant each optional category."""

    day: str
    action: str
    lang: str
    surface: str
    revision: int
    gpc: bool
    records: int
    granted: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Figures:
    """The log's aggregates over a period, for ``stats`` to shape: grouped rows (at most
    one per day, action, language, surface, revision and signal, never one per record) and the
    number of distinct consent ids among the choices."""

    rows: tuple[FigureRow, ...]
    visitors: int


def figures_from(
    counts: Iterable[Sequence[Any]], visitors: int, categories: Sequence[str]
) -> Figures:
    """Figures from the counters' rows, ``(day, action, lang, surface, revision, gpc,
    category, records)`` ordered by group, where the category ``""`` counts the group's
    records: the same shaping for every engine."""
    groups: dict[tuple, dict[str, int]] = {}
    for *group, category, records in counts:
        groups.setdefault(tuple(group), {})[category] = records
    return Figures(
        rows=tuple(
            FigureRow(
                day=day,
                action=action,
                lang=lang,
                surface=surface,
                revision=revision,
                gpc=bool(gpc),
                records=counted.get("", 0),
                granted={key: counted.get(key, 0) for key in categories},
            )
            for (day, action, lang, surface, revision, gpc), counted in groups.items()
        ),
        visitors=visitors,
    )


def period(first: date, last: date) -> tuple[str, str]:
    """Both days included, as the log's timestamps: the start, and the end excluded."""
    return f"{first.isoformat()}T00:00:00Z", f"{(last + timedelta(days=1)).isoformat()}T00:00:00Z"


@dataclass(frozen=True)
class AuditEntry:
    """One act of an operator on the log (an anonymisation, an export)."""

    created_at: str
    action: str
    target: str
    ip_prefix: str | None


#: The audit action of an erasure. Its target's records no longer name it, so the audit
#: row is what ends the id's consent, as a withdrawal does: the log cannot prove it any
#: more, and a kept copy of its token must not count again.
ERASURE = "anonymise"


class WithdrawalFeed(Protocol):
    """The ended consent ids as they are committed, by any process or node: withdrawals
    (``withdraw`` records) and erasures (``ERASURE`` audit rows).

    Asked on every check of a consent, so it must be cheap when nothing changed: no
    database round trip in the common case (SQLite: ``PRAGMA data_version``; PostgreSQL:
    ``LISTEN``/``NOTIFY``)."""

    def fresh(self) -> list[tuple[str, str]]:
        """``(consent_id, at)`` of the withdrawals and erasures committed since the last
        call; on the first call, every one of the feed's window. Raises
        ``StoreUnavailable`` when it cannot know."""
        ...

    def close(self) -> None: ...


class Store(Protocol):
    """The consent log. Times are UTC ISO 8601 strings as the log keeps them
    (``2026-11-30T08:15:00Z``); periods are UTC days, both ends included."""

    #: Whether ``migrate`` found no log and made one (an operator command run without
    #: the service's ``CONSENT_DATABASE`` must not report on a log it just invented).
    created: bool

    def migrate(self) -> int:
        """Create or upgrade the schema (safe when several nodes start at once);
        returns the schema version."""
        ...

    def append(self, record: Record, text: str | None = None) -> int:
        """Write one record, and the text shown once per hash; returns its row id only
        once it is durable. Raises ``StoreUnavailable`` when it could not be written."""
        ...

    def append_many(self, records: Iterable[Record], texts: Mapping[str, str]) -> int:
        """Write many records at once (an import, demo data, a benchmark), with the
        texts of their hashes; returns how many, once all are durable. A batch that
        cannot be written raises ``StoreUnavailable``; earlier batches stay written."""
        ...

    def history(self, consent_id: str) -> list[dict[str, Any]]:
        """Every record of one consent id, oldest first, ``HISTORY_COLUMNS`` only."""
        ...

    def text(self, text_hash: str) -> str | None: ...

    def texts(self, hashes: Iterable[str]) -> dict[str, str]:
        """The texts of these hashes (unknown hashes are left out)."""
        ...

    def count(self, consent_id: str | None = None) -> int:
        """Records in the log, or those of one consent id."""
        ...

    def figures(self, first: date, last: date, categories: Sequence[str]) -> Figures:
        """Aggregates of the visitors' records (``agent`` is null) of the UTC days from
        ``first`` to ``last``, both included; ``granted`` counts each key of
        ``categories``. Fast whatever the size of the log (under a second for a million
        records)."""
        ...

    def export(self, first: date, last: date) -> Iterator[dict[str, Any]]:
        """Every record of the UTC days from ``first`` to ``last`` (both included), all
        agents, oldest first, ``COLUMNS`` in order; streamed, in constant memory."""
        ...

    def anonymise(self, consent_id: str, now: datetime) -> int:
        """Anonymise one consent id's records now (an erasure request); returns how many."""
        ...

    def anonymise_inactive(
        self, cutoff: datetime, now: datetime, *, dry_run: bool = False
    ) -> RetentionReport:
        """Anonymise every record of the consent ids whose last record is older than
        ``cutoff`` (retention); with ``dry_run``, count them and change nothing."""
        ...

    def audit(self, entry: AuditEntry) -> None:
        """Append one row to the operator's audit trail (``admin_audit``)."""
        ...

    def audit_trail(self, target: str | None = None) -> list[dict[str, Any]]:
        """The audit rows, oldest first, or those about one target."""
        ...

    def add_login_failure(self, ip_prefix: str, at: str) -> None:
        """Note a failed operator login from an address prefix (shared by every worker
        and node, so throttling holds across them)."""
        ...

    def login_failures(self, ip_prefix: str, since: str) -> int:
        """Failed operator logins from an address prefix since a moment."""
        ...

    def withdrawals(self, window: timedelta) -> WithdrawalFeed:
        """A feed of the withdrawals made within ``window`` of now, and of every later
        one (older ones cannot matter: every token of their ids has expired)."""
        ...

    def close(self) -> None: ...


def open_store(database: str) -> Store:
    """The store of ``CONSENT_DATABASE``: a ``postgresql://`` URL, else a SQLite file path.

    psycopg is imported only for a PostgreSQL URL (``pip install "consent-ui[postgres]"``).
    """
    if is_postgres_url(database):
        try:
            from .postgres import PostgresStore
        except ImportError as e:
            from ..errors import ConfigError

            raise ConfigError(
                "CONSENT_DATABASE",
                f"a PostgreSQL URL needs psycopg ({e.name} is missing): "
                'pip install "consent-ui[postgres]"',
            ) from None
        return PostgresStore(database)
    from .sqlite import SQLiteStore

    return SQLiteStore(database)


def is_postgres_url(database: str) -> bool:
    return database.startswith(("postgresql://", "postgres://"))


def decoded(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row as the interface returns it: categories a list, gpc a bool."""
    row = dict(row)
    if isinstance(row.get("categories"), str):
        row["categories"] = json.loads(row["categories"])
    if "gpc" in row:
        row["gpc"] = bool(row["gpc"])
    return row
