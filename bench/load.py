"""Consent writes under load against the most trivial endpoint of the same server.

Starts gunicorn as the README runs it (``-w 4 --threads 4``, gthread) on a free port,
on SQLite (a temporary file) and on PostgreSQL (a throwaway cluster, examples/postgres.py),
and drives it with wrk (2 threads, 10 s) at 16 and at 64 connections: first
``GET /.well-known/gpc.json`` (the trivial endpoint), then ``POST /api/consent`` (a new
visitor per request, each with its own page). wrk's Lua ``done`` hook reports req/s and
the latency percentiles; the log is counted afterwards, so every acknowledged (201)
write is checked against the records found.

    .venv/bin/python bench/load.py [--store sqlite|postgres|both] [--duration 10]

The bar (DESIGN.md): the write keeps at least 60 % of the trivial endpoint's req/s on
both stores, and its p99 at 16 connections stays within 3x the trivial one's.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from examples.harness import free_port  # noqa: E402
from examples.postgres import PostgresCluster  # noqa: E402

GUNICORN = Path(sys.executable).with_name("gunicorn")
TRIVIAL = "/.well-known/gpc.json"
WRITE = "/api/consent"
THROUGHPUT_BAR = 0.60
P99_BAR = 3.0
#: Time given to gunicorn's workers to boot on a busy machine.
BOOT_SECONDS = 8

# wrk's Lua: a new visitor per request (no token, a page of its own), and a JSON line
# of figures at the end (latencies in microseconds).
LUA = r"""
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  method = args[1]
end

function request()
  if method ~= "POST" then
    return wrk.format("GET")
  end
  counter = counter + 1
  local body = '{"action": "accept_all", "surface": "banner", "lang": "en", "page": "/bench/'
    .. id .. '/' .. counter .. '"}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50": %d, "p95": %d, "p99": %d, "max": %d,'
    .. ' "non_2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout))
end
"""


@dataclass
class Figures:
    requests: int
    seconds: float
    p50: float
    p95: float
    p99: float
    non_2xx: int
    socket_errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def line(self, label: str) -> str:
        return (
            f"  {label:<28} {self.rate:8.0f} req/s   p50 {self.p50:7.1f}  p95 {self.p95:7.1f}"
            f"  p99 {self.p99:7.1f} ms   errors {self.non_2xx + self.socket_errors}"
        )


def wrk(url: str, method: str, connections: int, seconds: int, script: Path) -> Figures:
    out = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
            "--",
            method,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    return Figures(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50=data["p50"] / 1000,
        p95=data["p95"] / 1000,
        p99=data["p99"] / 1000,
        non_2xx=data["non_2xx"],
        socket_errors=data["socket_errors"],
    )


@contextlib.contextmanager
def gunicorn(database: str, workers: int, threads: int) -> Iterator[str]:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CONSENT_")},
        "CONSENT_SECRET_KEY": "benchmark-key-of-at-least-32-characters",
        "CONSENT_DATABASE": database,
    }
    command = [
        str(GUNICORN),
        "--chdir",
        str(ROOT),
        "-w",
        str(workers),
        "--threads",
        str(threads),
        "-b",
        f"127.0.0.1:{port}",
        "app:app",
    ]
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with opener.open(url + TRIVIAL, timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("bench: gunicorn did not start") from None
                time.sleep(0.1)
        # Every worker booted (they load the app one by one), then a warm-up.
        time.sleep(BOOT_SECONDS)
        subprocess.run(
            ["wrk", "-t", "2", "-c", "8", "-d", "2s", url + TRIVIAL],
            capture_output=True,
            check=True,
        )
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def count_records(database: str) -> int:
    from consent_ui.store import open_store

    store = open_store(database)
    try:
        return store.count()
    finally:
        store.close()


def run_store(name: str, database: str, args: argparse.Namespace, script: Path) -> bool:
    print(f"\n{name} (gunicorn -w {args.workers} --threads {args.worker_threads}):", flush=True)
    met = True
    with gunicorn(database, args.workers, args.worker_threads) as url:
        acknowledged = 0
        for connections in args.connections:
            trivial = wrk(url + TRIVIAL, "GET", connections, args.duration, script)
            write = wrk(url + WRITE, "POST", connections, args.duration, script)
            acknowledged += write.requests - write.non_2xx - write.socket_errors
            ratio = write.rate / trivial.rate
            print(f" {connections} connections:")
            print(trivial.line(f"GET {TRIVIAL}"))
            print(write.line(f"POST {WRITE}"))
            p99 = write.p99 / trivial.p99 if trivial.p99 else float("inf")
            verdict = ratio >= THROUGHPUT_BAR and (connections != 16 or p99 <= P99_BAR)
            met = met and verdict
            print(
                f"  write/trivial: {ratio:.0%} of the throughput, p99 {p99:.1f}x"
                f"  ({'meets' if verdict else 'misses'} the bar)",
                flush=True,
            )
    records = count_records(database)
    print(f" acknowledged writes {acknowledged}, records in the log {records}")
    if records < acknowledged:
        print(" LOST ACKNOWLEDGED RECORDS")
        return False
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--connections", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-threads", type=int, default=4)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("bench: wrk is not installed (Debian: apt-get install wrk)")
    met = True
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "bench.lua"
        script.write_text(LUA)
        if args.store in ("sqlite", "both"):
            met &= run_store("SQLite", str(Path(folder) / "consent.db"), args, script)
        if args.store in ("postgres", "both"):
            with PostgresCluster.start() as cluster:
                url = cluster.create_database("consent")
                met &= run_store("PostgreSQL", url, args, script)
    print(f"\n{'every run meets the bar' if met else 'the bar is missed'}")


if __name__ == "__main__":
    main()
