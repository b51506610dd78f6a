"""How fast the operator's figures answer on a large log, and what an export costs.

Writes 1,000,000 demo records (examples/demo_log.py, through ``Store.append_many``)
into a temporary SQLite log, once spread over a year (the realistic case: the 30-day
overview reads a twelfth of them) and once all within 30 days (the worst case for that
overview), then, through the real app and a logged-in operator session, times
``GET /admin/`` (the page: figures, six charts, their tables) and
``GET /admin/api/stats`` for the last 30 days, and the stats of the whole year; the
first request after opening the log and the median of the next runs, wall-clock and
CPU. Then it streams the records of the 30 days as CSV (rows per second), and those of
the whole log with Python's memory traced (its peak while streaming). Prints the
figures it timed.

    .venv/bin/python bench/stats.py [--records 1000000] [--runs 7]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from werkzeug.security import generate_password_hash  # noqa: E402

from consent_ui import create_app  # noqa: E402
from consent_ui.extension import ConsentUI  # noqa: E402
from examples.demo_log import records, shown_texts  # noqa: E402

BUDGET_SECONDS = 1.0
PASSWORD = "benchmark"
NOW = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)


def build(folder: Path, name: str, total: int, days: int) -> Any:
    """An app on a new log of about ``total`` records over ``days`` days to NOW."""
    app = create_app(
        {
            "CONSENT_SECRET_KEY": "benchmark-secret-key-of-forty-characters",
            "CONSENT_DATABASE": str(folder / f"{name}.db"),
            "CONSENT_ADMIN_PASSWORD_HASH": generate_password_hash(PASSWORD),
        }
    )
    state = ConsentUI.state(app)
    texts = shown_texts(app)
    # demo_log makes ~1.05 records a visitor (changes of mind, withdrawals) and 3
    # scanner visits a day; weekends have two thirds of the weekday's visitors.
    visitors = max(1, round((total - 3 * days) / days / 1.05 / (5 / 7 + 2 / 7 * 2 / 3)))
    started = time.perf_counter()
    written = state.store.append_many(
        records(state.policy, texts, days=days, visitors=visitors, seed=1, now=NOW),
        {h: t for h, t in texts.shown.values()},
    )
    took = time.perf_counter() - started
    size = (folder / f"{name}.db").stat().st_size / 1e6
    print(
        f"  {written:,} records over {days} days written in {took:.1f} s "
        f"({written / took:,.0f} records/s), {size:,.0f} MB"
    )
    return app


def signed_in(app: Any) -> Any:
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/admin/login", data={"csrf_token": token, "password": PASSWORD})
    assert response.status_code == 303, response.status_code
    return client


def timed(client: Any, url: str, runs: int) -> tuple[list[float], list[float], Any]:
    """Wall-clock and CPU seconds of the first request and of ``runs`` more (SQLite runs
    in this process, so CPU time counts the queries too; on a shared machine it is the
    steadier figure), and the last response."""
    wall, cpu = [], []
    response = None
    for _ in range(runs + 1):
        started, used = time.perf_counter(), time.process_time()
        response = client.get(url)
        response.get_data()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
        assert response.status_code == 200, (url, response.status_code)
    return wall, cpu, response


def report(label: str, wall: list[float], cpu: list[float]) -> bool:
    median, used = statistics.median(wall[1:]), statistics.median(cpu[1:])
    ok = max(wall[0], median) < BUDGET_SECONDS
    print(
        f"  {label:<38} first {wall[0] * 1000:6.0f} ms   median {median * 1000:6.0f} ms"
        f"   max {max(wall[1:]) * 1000:6.0f} ms   CPU median {used * 1000:5.0f} ms"
        f"   {'ok' if ok else 'OVER 1 s'}"
    )
    return ok


def figures(body: dict[str, Any]) -> None:
    rates = ", ".join(f"{k} {v['rate']:.2%}" for k, v in body["categories"].items())
    print(
        f"    {body['from']}..{body['to']}: {body['choices']:,} choices, "
        f"{body['visitors']:,} visitors, {body['withdrawals']:,} withdrawals; "
        f"actions {body['actions']}; opt-in {rates}; by gpc {body['by']['gpc']}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description="consent-ui figures benchmark")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--logs", choices=("both", "year", "month"), default="both", help="which logs to build"
    )
    args = parser.parse_args()
    logs = [("a year", 365), ("30 days", 30)]
    logs = [
        log for log in logs if args.logs == "both" or log[1] == (365 if args.logs == "year" else 30)
    ]
    last_30 = f"from={(NOW.date() - timedelta(days=29)).isoformat()}&to={NOW.date().isoformat()}"
    year = f"from={(NOW.date() - timedelta(days=364)).isoformat()}&to={NOW.date().isoformat()}"
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, days in logs:
            print(f"\nLog of {args.records:,} records over {name}:")
            app = build(folder, name.replace(" ", "-"), args.records, days)
            client = signed_in(app)
            for label, url in (
                ("GET /admin/ (last 30 days)", f"/admin/?{last_30}"),
                ("GET /admin/api/stats (last 30 days)", f"/admin/api/stats?{last_30}"),
                ("GET /admin/api/stats (365 days)", f"/admin/api/stats?{year}"),
            ):
                wall, cpu, response = timed(client, url, args.runs)
                ok &= report(label, wall, cpu) or "365" in label
                if "api" in url:
                    figures(response.get_json())
            started = time.perf_counter()
            response = client.get(f"/admin/export.csv?{last_30}")
            rows = sum(chunk.count(b"\n") for chunk in response.response) - 1
            took = time.perf_counter() - started
            print(
                f"  GET /admin/export.csv (last 30 days)   {rows:,} rows in {took:.1f} s "
                f"({rows / took:,.0f} rows/s)"
            )
            # The same export again, its Python memory traced (slower): constant, or not.
            tracemalloc.start()
            response = client.get(f"/admin/export.csv?{year}")
            rows = sum(chunk.count(b"\n") for chunk in response.response) - 1
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(
                f"  GET /admin/export.csv (365 days)       {rows:,} rows, "
                f"Python memory peak {peak / 1e6:.1f} MB while streaming"
            )
            ConsentUI.state(app).store.close()
    print("\nall under 1 s" if ok else "\nSOME OVER 1 s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
