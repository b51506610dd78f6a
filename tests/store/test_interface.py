"""The proof-of-consent log through its interface, on both engines: append and history,
texts once per hash, constraints and append-only guards enforced by the database itself,
retention and erasure (the only changes allowed), figures, exports, the audit trail, login
failures and migrations. Engine-specific tests live in test_sqlite.py and test_postgres.py.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest

from consent_ui.store import ANONYMISED, COLUMNS, AuditEntry, FigureRow, Figures, Store
from tests.store.conftest import ALICE, BOB, CAROL, Engine, record

NOW = datetime(2026, 6, 1, tzinfo=UTC)
CUTOFF = datetime(2023, 6, 1, tzinfo=UTC)


def test_migrate_is_idempotent_and_keeps_the_records(engine: Engine, log: Store) -> None:
    log.append(record(text_hash="h1"), "Words")
    version = log.migrate()
    assert version >= 1
    assert engine.open().migrate() == version
    assert log.count() == 1, "migrating again keeps the records"
    assert engine.raw("SELECT count(*) FROM consent_texts") == [(1,)]


def test_a_new_log_says_it_was_created(engine: Engine) -> None:
    first = engine.open()
    assert first.created is True
    first.append(record())
    again = engine.open()
    assert again.created is False
    assert again.count() == 1


def test_append_and_history(log: Store) -> None:
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
    assert log.count(BOB) == 1


def test_text_is_stored_once_per_hash(engine: Engine, log: Store) -> None:
    for consent_id in (ALICE, BOB, CAROL):
        log.append(record(consent_id, text_hash="h1", surface="banner"), "Accept all or not")
    log.append(record(text_hash="h2", surface="preferences", lang="fr"), "Tout accepter")
    rows = engine.raw(
        "SELECT hash, lang, revision, text, first_seen_at FROM consent_texts ORDER BY hash"
    )
    assert rows == [
        ("h1", "en", 1, "Accept all or not", "2026-05-01T10:00:00Z"),
        ("h2", "fr", 1, "Tout accepter", "2026-05-01T10:00:00Z"),
    ]
    assert log.text("h1") == "Accept all or not"
    assert log.text("missing") is None


def test_a_text_hash_without_its_text_is_refused(engine: Engine, log: Store) -> None:
    with pytest.raises(engine.integrity_error):
        log.append(record(text_hash="never-stored"))
    assert log.count() == 0


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"action": "withdraw_all"}, id="action"),
        pytest.param({"surface": "popup"}, id="surface"),
    ],
)
def test_check_constraints(engine: Engine, log: Store, change: dict[str, str]) -> None:
    with pytest.raises(engine.integrity_error):
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
def test_append_only(engine: Engine, log: Store, statement: str) -> None:
    log.append(record(text_hash="h1", surface="banner"), "The words shown")
    with pytest.raises(engine.integrity_error, match="append-only"):
        engine.raw(statement)
    assert log.history(ALICE)[0]["categories"] == ["essential", "statistics"]
    assert log.count(ALICE) == 1
    assert log.text("h1") == "The words shown"


def test_an_anonymised_row_cannot_be_changed_again(engine: Engine, log: Store) -> None:
    log.append(record(created_at="2020-01-01T00:00:00Z"))
    log.anonymise_inactive(CUTOFF, NOW)
    with pytest.raises(engine.integrity_error, match="append-only"):
        engine.raw(
            "UPDATE consent_log SET consent_id = 'anonymised', ip_prefix = NULL,"
            " anonymised_at = '2027-01-01T00:00:00Z'"
        )


def _retention_log(log: Store) -> None:
    # Alice: only old records. Bob: one old, one recent. Carol: recent only.
    log.append(record(ALICE, "2020-01-01T00:00:00Z"))
    log.append(record(ALICE, "2023-05-31T23:59:59Z", action="reject_all", ip_prefix="2001:db8::"))
    log.append(record(BOB, "2020-01-01T00:00:00Z"))
    log.append(record(BOB, "2025-01-01T00:00:00Z"))
    log.append(record(CAROL, "2023-06-01T00:00:00Z"))


def test_retention_anonymises_only_inactive_ids(engine: Engine, log: Store) -> None:
    _retention_log(log)
    report = log.anonymise_inactive(CUTOFF, NOW)
    assert (report.cutoff, report.consent_ids, report.rows) == ("2023-06-01T00:00:00Z", 1, 2)

    columns = ("consent_id", "created_at", "action", "ip_prefix", "anonymised_at")
    rows = [
        dict(zip(columns, r, strict=True))
        for r in engine.raw(f"SELECT {', '.join(columns)} FROM consent_log ORDER BY id")
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


def test_retention_again_touches_nothing(engine: Engine, log: Store) -> None:
    _retention_log(log)
    log.anonymise_inactive(CUTOFF, NOW)
    report = log.anonymise_inactive(CUTOFF, datetime(2026, 7, 1, tzinfo=UTC))
    assert (report.consent_ids, report.rows) == (0, 0)
    stamps = engine.raw(
        "SELECT DISTINCT anonymised_at FROM consent_log WHERE anonymised_at IS NOT NULL"
    )
    assert [r[0] for r in stamps] == ["2026-06-01T00:00:00Z"]


def test_retention_dry_run_counts_and_changes_nothing(engine: Engine, log: Store) -> None:
    _retention_log(log)
    before = engine.raw("SELECT * FROM consent_log ORDER BY id")
    report = log.anonymise_inactive(CUTOFF, NOW, dry_run=True)
    assert (report.consent_ids, report.rows) == (1, 2)
    after = engine.raw("SELECT * FROM consent_log ORDER BY id")
    assert after == before
    assert log.anonymise_inactive(CUTOFF, NOW).rows == 2, "the dry run left it to do"


def test_figures_aggregate_one_period(log: Store) -> None:
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


def test_figures_of_an_empty_period(log: Store) -> None:
    log.append(record())
    figures = log.figures(date(2027, 1, 1), date(2027, 1, 31), ("statistics",))
    assert figures == Figures(rows=(), visitors=0)


def test_export_streams_a_period_in_order_with_every_column(log: Store) -> None:
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


def test_anonymise_one_consent_id(engine: Engine, log: Store) -> None:
    log.append(record(ALICE))
    log.append(record(ALICE, action="withdraw"))
    log.append(record(BOB))
    assert log.anonymise(ALICE, NOW) == 2
    assert log.history(ALICE) == []
    assert log.count(ANONYMISED) == 2
    assert log.count(BOB) == 1
    assert log.anonymise(ALICE, NOW) == 0, "nothing left to anonymise"
    rows = engine.raw(
        f"SELECT ip_prefix, anonymised_at FROM consent_log WHERE consent_id = '{ANONYMISED}'"
    )
    assert rows == [(None, "2026-06-01T00:00:00Z")] * 2


def test_texts_of_several_hashes(log: Store) -> None:
    log.append(record(text_hash="h1", surface="banner"), "One")
    log.append(record(text_hash="h2", surface="preferences"), "Two")
    assert log.texts(["h2", "h1", "nope", "h1"]) == {"h1": "One", "h2": "Two"}
    assert log.texts([]) == {}


def test_the_audit_trail_is_append_only(engine: Engine, log: Store) -> None:
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
        with pytest.raises(engine.integrity_error, match="append-only"):
            engine.raw(statement)


def test_login_failures_per_prefix_and_period(log: Store) -> None:
    for minute in (0, 5, 10):
        log.add_login_failure("203.0.113.0", f"2026-06-01T10:{minute:02d}:00Z")
    log.add_login_failure("198.51.100.0", "2026-06-01T10:10:00Z")
    assert log.login_failures("203.0.113.0", "2026-06-01T10:00:00Z") == 3
    assert log.login_failures("203.0.113.0", "2026-06-01T10:05:00Z") == 2
    assert log.login_failures("192.0.2.0", "2026-06-01T00:00:00Z") == 0
    # A day later the old failures are pruned on the next one.
    log.add_login_failure("198.51.100.0", "2026-06-02T10:11:00Z")
    assert log.login_failures("203.0.113.0", "2026-01-01T00:00:00Z") == 0


def test_concurrent_appends_are_each_written_once(engine: Engine, log: Store) -> None:
    """Threads of two stores (two workers) append at once: one row per acknowledged
    record, each with its own row id."""
    other = engine.open()
    ids: list[int] = []
    lock = threading.Lock()

    def write(store: Store, n: int) -> None:
        for i in range(15):
            row_id = store.append(record(page=f"/w/{n}/{i}"))
            with lock:
                ids.append(row_id)

    threads = [threading.Thread(target=write, args=(s, n)) for n, s in enumerate([log, other] * 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(ids) == len(set(ids)) == 90
    pages = [r["page"] for r in log.export(date(2026, 5, 1), date(2026, 5, 1))]
    assert sorted(pages) == sorted(f"/w/{n}/{i}" for n in range(6) for i in range(15))


def test_append_many_writes_in_batches_like_append(
    engine: Engine, log: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many records at once (demo data, benchmarks), in batches: the same rows, previous
    choices, figures and texts (once per hash) as appending them one by one."""
    from consent_ui.store import postgres, sqlite

    for module in (sqlite, postgres):
        monkeypatch.setattr(module, "APPEND_BATCH", 2)
    records = [
        record(ALICE, "2026-05-01T08:00:00Z", text_hash="h1", surface="banner"),
        record(ALICE, "2026-05-02T08:00:00Z", action="custom", text_hash="h2"),
        record(BOB, "2026-05-02T09:00:00Z", text_hash="h1", lang="fr", gpc=True),
        record(ALICE, "2026-05-03T08:00:00Z", action="withdraw", categories=("essential",)),
        record(CAROL, "2026-05-03T09:00:00Z", agent="qa"),
    ]
    texts = {"h1": "Banner words", "h2": "Dialog words", "unused": "Never shown"}
    assert log.append_many(iter(records), texts) == 5
    assert log.append_many([], {}) == 0
    rows = list(log.export(date(2026, 5, 1), date(2026, 5, 3)))
    assert [(r["consent_id"], r["created_at"], r["action"], r["agent"]) for r in rows] == [
        (r.consent_id, r.created_at, r.action, r.agent) for r in records
    ]
    assert engine.raw("SELECT previous_choice_at FROM consent_log ORDER BY id") == [
        (None,),
        ("2026-05-01T08:00:00Z",),
        (None,),
        ("2026-05-02T08:00:00Z",),
        (None,),
    ]
    assert log.texts(["h1", "h2", "unused"]) == {"h1": "Banner words", "h2": "Dialog words"}
    assert engine.raw("SELECT hash, first_seen_at FROM consent_texts ORDER BY hash") == [
        ("h1", "2026-05-01T08:00:00Z"),
        ("h2", "2026-05-02T08:00:00Z"),
    ]
    figures = log.figures(date(2026, 5, 1), date(2026, 5, 3), ("statistics",))
    assert figures.visitors == 2, "Alice and Bob; Carol's only record is a tool's"
    assert sum(row.records for row in figures.rows) == 4


def test_a_tools_record_does_not_hide_a_visitor(log: Store) -> None:
    """A tool's choice under a visitor's id (a copied token) is no earlier choice of the
    visitor's: the visitor still counts in a period that starts after it."""
    log.append(record(CAROL, "2026-05-01T10:00:00Z", agent="qa"))
    log.append(record(CAROL, "2026-05-02T10:00:00Z"))
    assert log.figures(date(2026, 5, 2), date(2026, 5, 2), ("statistics",)).visitors == 1
    assert log.figures(date(2026, 5, 1), date(2026, 5, 2), ("statistics",)).visitors == 1
