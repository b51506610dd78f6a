"""How the PostgreSQL figures are kept: write throughput under concurrent writers and the
dashboard's figures over 1,000,000 records, for three designs.

- ``sharded``: counters kept by a trigger, spread over FIGURE_SHARDS rows per group
  (the writing backend's pid picks one) -- what consent_ui/store/postgres.py does;
- ``one row``: the same counters with one row per group, as SQLite keeps them (every
  concurrent insert of the same day, action, language... waits on that row's lock
  until the previous writer commits);
- ``no counters``: no trigger; the figures aggregate consent_log itself.

    .venv/bin/python bench/figures.py [--records 1000000] [--writers 32] [--seconds 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from consent_ui.store import Record  # noqa: E402
from consent_ui.store.postgres import FIGURE_SHARDS, PostgresStore  # noqa: E402
from examples.postgres import PostgresCluster  # noqa: E402

CATEGORIES = ("statistics", "personalization", "marketing")

#: What the figures would be without counters: the same groups, from the log itself.
AGGREGATE = """
    SELECT substr(created_at, 1, 10), action, lang, surface, revision, gpc, count(*),
        count(*) FILTER (WHERE categories ? 'statistics'),
        count(*) FILTER (WHERE categories ? 'personalization'),
        count(*) FILTER (WHERE categories ? 'marketing')
    FROM consent_log WHERE agent IS NULL AND created_at >= %s AND created_at < %s
    GROUP BY 1, 2, 3, 4, 5, 6
"""


def design(url: str, name: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        if name == "one row":
            source = conn.execute(
                "SELECT pg_get_functiondef('consent_log_count'::regproc)"
            ).fetchone()[0]
            conn.execute(source.replace(f"pg_backend_pid() % {FIGURE_SHARDS}", "0"))
        elif name == "no counters":
            conn.execute("DROP TRIGGER consent_log_count ON consent_log")


def writes(url: str, writers: int, seconds: float) -> float:
    """Appends per second from ``writers`` threads over four stores (four workers)."""
    stores = [PostgresStore(url) for _ in range(4)]
    done = [0] * writers
    stop = time.monotonic() + seconds

    def write(n: int) -> None:
        store = stores[n % len(stores)]
        i = 0
        while time.monotonic() < stop:
            store.append(
                Record(
                    f"{n:08d}-0000-4000-8000-{i:012d}",
                    "2026-05-01T10:00:00Z",
                    "accept_all",
                    ("essential", *CATEGORIES),
                    1,
                    None,
                    "en",
                    "banner",
                    "/",
                    False,
                    None,
                    "203.0.113.0",
                )
            )
            i += 1
        done[n] = i

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    for store in stores:
        store.close()
    return sum(done) / elapsed


#: Records per transaction when filling: in one huge transaction a counter row's chain
#: of updated versions cannot be pruned, and each update walks it (quadratic).
FILL_BATCH = 5000

FILL = """
    INSERT INTO consent_log (consent_id, created_at, action, categories, revision,
        lang, surface, page, gpc, expires_at, ip_prefix, previous_choice_at)
    SELECT md5(i::text), to_char(timestamp '2026-05-01' + (i %% 30) * interval '1 day'
            + (i %% 86400) * interval '1 second', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        (ARRAY['accept_all', 'reject_all', 'custom', 'withdraw'])[1 + i %% 4],
        (ARRAY['["essential"]', '["essential", "statistics"]',
               '["essential", "statistics", "personalization", "marketing"]'])
            [1 + i %% 3]::jsonb,
        1, (ARRAY['en', 'fr'])[1 + i %% 2],
        (ARRAY['banner', 'preferences', 'placeholder', 'api'])[1 + i %% 4],
        '/', i %% 10 = 0, NULL, '203.0.113.0', NULL
    FROM generate_series(%s::integer, %s::integer) AS i
"""


def fill(url: str, records: int) -> float:
    """``records`` visitors' records over 30 days (triggers included); returns seconds."""
    started = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        for first in range(1, records + 1, FILL_BATCH):
            conn.execute(FILL, [first, min(first + FILL_BATCH - 1, records)])
        conn.execute("VACUUM ANALYZE")
    return time.monotonic() - started


def timed(action, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--writers", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    with PostgresCluster.start() as cluster:
        print(f"{args.writers} writers, 4 stores, {args.seconds:.0f} s, one group:")
        for n, name in enumerate(("sharded", "one row", "no counters")):
            url = cluster.create_database(f"writes{n}")
            PostgresStore(url).migrate()
            design(url, name)
            print(f"  {name:<12} {writes(url, args.writers, args.seconds):7.0f} appends/s")
        url = cluster.create_database("figures")
        store = PostgresStore(url)
        store.migrate()
        print(f"\n{args.records} records over 30 days: filled in {fill(url, args.records):.0f} s")
        first, last = date(2026, 5, 1), date(2026, 5, 30)
        seconds = timed(lambda: store.figures(first, last, CATEGORIES))
        print(f"  figures() with counters (sharded): {seconds * 1000:7.0f} ms (median of 5)")
        with psycopg.connect(url) as conn:
            period = ("2026-05-01T00:00:00Z", "2026-05-31T00:00:00Z")
            seconds = timed(lambda: conn.execute(AGGREGATE, period).fetchall())
        print(f"  the same groups aggregated from the log: {seconds * 1000:7.0f} ms (median of 5)")
        store.close()


if __name__ == "__main__":
    main()
