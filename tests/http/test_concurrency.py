"""Consent writes against a real gunicorn (several workers, several threads each) on a
free port: under concurrent load nothing acknowledged is lost or written twice, and a
server killed with SIGKILL loses no acknowledged record.

Every request carries a unique ``page``, which the log keeps, so each acknowledged
answer can be matched with exactly one row. Run with ``-s`` to see the figures.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from examples.harness import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
WORKERS = 3
WORKER_THREADS = 4
THREADS = 8
REQUESTS_PER_THREAD = 50
START_TIMEOUT = 20.0
#: Every fifth request is a new visitor; the others change their mind with their token.
NEW_VISITOR_EVERY = 5
ACTIONS: list[dict[str, Any]] = [
    {"action": "accept_all"},
    {"action": "reject_all"},
    {"action": "custom", "categories": ["statistics"]},
    {"action": "custom", "categories": ["personalization", "marketing"]},
]
# Straight to 127.0.0.1, whatever proxy the environment names.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Gunicorn:
    url: str
    port: int
    process: subprocess.Popen
    database: Path
    log: Path

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def signal(self, sig: int) -> None:
        """Signal the master and its workers (they share the session's process group)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def stop(self) -> None:
        """Politely, then not: whatever state the test left it in, nothing survives."""
        if self.process.poll() is None:
            self.signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
        # Workers of a master killed with SIGKILL may outlive it: end them too.
        self.signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def workers(self) -> list[int]:
        out = subprocess.run(
            ["ps", "-o", "pid=", "-g", str(self.process.pid)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        return [int(p) for p in out.split() if int(p) != self.process.pid]


@pytest.fixture
def start_gunicorn(tmp_path: Path) -> Iterator[Callable[[], Gunicorn]]:
    servers: list[Gunicorn] = []

    def start() -> Gunicorn:
        database = tmp_path / "consent.db"
        log = tmp_path / "gunicorn.log"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CONSENT_")},
            "CONSENT_SECRET_KEY": "concurrency-test-key-of-32-characters",
            "CONSENT_DATABASE": str(database),
            "CONSENT_ALLOWED_ORIGINS": "https://shop.example.org",
        }
        server = launch(env, database, log)
        servers.append(server)
        _wait_until_ready(server)
        return server

    yield start
    for server in servers:
        server.stop()


def launch(env: dict[str, str], database: Path, log: Path, *options: str) -> Gunicorn:
    """gunicorn on a free port (gthread: ``WORKERS`` workers of ``WORKER_THREADS``
    threads) in a process group of its own, so that ``killpg`` reaches all; not yet
    waited for."""
    port = free_port()
    command = [
        str(GUNICORN),
        "--chdir",
        str(ROOT),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "gthread",
        "--threads",
        str(WORKER_THREADS),
        "--graceful-timeout",
        "2",
        *options,
        "app:app",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Gunicorn(f"http://127.0.0.1:{port}", port, process, database, log)


def _wait_until_ready(server: Gunicorn) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            with OPENER.open(f"{server.url}/api/policy", timeout=2) as response:
                # The master forks its workers one by one: wait for all of them too.
                if response.status == 200 and len(server.workers()) == WORKERS:
                    return
                time.sleep(0.05)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.05)  # nothing to wait on but the port: poll it
    pytest.fail(f"gunicorn did not answer within {START_TIMEOUT} s:\n{server.log_tail()}")


def is_running(pid: int) -> bool:
    """False for a process that is gone or a zombie nobody has reaped yet."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


@dataclass
class Load:
    """What the client threads saw."""

    acknowledged: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)


def post_choice(url: str, body: dict[str, Any], token: str | None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Consent-Token"] = token
    request = urllib.request.Request(
        f"{url}/api/consent", data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    try:
        with OPENER.open(request, timeout=15) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def visitor_thread(url: str, number: int, requests: int, load: Load) -> None:
    token: str | None = None
    current_id: str | None = None
    for i in range(requests):
        if load.stop.is_set():
            return
        if i % NEW_VISITOR_EVERY == 0:
            token = current_id = None
        page = f"/t{number}/r{i}"
        body = {**ACTIONS[(number + i) % len(ACTIONS)], "page": page, "surface": "banner"}
        try:
            status, answer = post_choice(url, body, token)
        except (OSError, http.client.HTTPException) as e:
            with load.lock:
                load.failures.append(f"{page}: {type(e).__name__}: {e}")
            if load.stop.is_set():
                return
            continue
        if status != 201:
            with load.lock:
                load.failures.append(f"{page}: {status} {answer}")
            continue
        if current_id is not None and answer["id"] != current_id:
            with load.lock:
                load.failures.append(f"{page}: id changed from {current_id} to {answer['id']}")
        token, current_id = answer["token"], answer["id"]
        with load.lock:
            load.acknowledged.append({"page": page, "id": answer["id"], "body": body})


def run_load(url: str, threads: int, requests: int, load: Load) -> list[threading.Thread]:
    workers = [
        threading.Thread(target=visitor_thread, args=(url, n, requests, load), daemon=True)
        for n in range(threads)
    ]
    for worker in workers:
        worker.start()
    return workers


def logged(database: Path) -> dict[str, list[tuple[str, str, str]]]:
    """Every row by page: (consent_id, action, categories)."""
    conn = sqlite3.connect(database)
    try:
        rows = conn.execute("SELECT page, consent_id, action, categories FROM consent_log")
        found: dict[str, list[tuple[str, str, str]]] = {}
        for page, consent_id, action, categories in rows:
            found.setdefault(page, []).append((consent_id, action, categories))
        return found
    finally:
        conn.close()


def test_concurrent_choices_are_all_logged_exactly_once(
    start_gunicorn: Callable[[], Gunicorn],
) -> None:
    server = start_gunicorn()
    load = Load()
    started = time.monotonic()
    for worker in run_load(server.url, THREADS, REQUESTS_PER_THREAD, load):
        worker.join(timeout=60)
        assert not worker.is_alive(), "a client thread hung"
    duration = time.monotonic() - started

    found = logged(server.database)
    records = sum(len(rows) for rows in found.values())
    requests = THREADS * REQUESTS_PER_THREAD
    figures = (
        f"{requests} requests from {THREADS} threads to gunicorn ({WORKERS} workers x "
        f"{WORKER_THREADS} threads) in {duration:.1f} s: {len(load.acknowledged)} acknowledged, "
        f"{records} records found, {len(load.failures)} failed"
    )
    print(f"\nconcurrency: {figures}")

    assert load.failures == [], f"{figures}; first failures: {load.failures[:5]}"
    assert len(load.acknowledged) == requests, figures
    assert records == len(load.acknowledged), figures
    for ack in load.acknowledged:
        rows = found.get(ack["page"], [])
        assert len(rows) == 1, f"{ack['page']} logged {len(rows)} times; {figures}"
        assert rows[0][:2] == (ack["id"], ack["body"]["action"]), figures
    per_id = Counter(ack["id"] for ack in load.acknowledged)
    in_log = Counter(consent_id for rows in found.values() for consent_id, _, _ in rows)
    assert in_log == per_id, figures
    visitors = THREADS * (REQUESTS_PER_THREAD // NEW_VISITOR_EVERY)
    assert len(per_id) == visitors, f"one id per visitor across their choices; {figures}"
    assert server.process.poll() is None, "the server survived the load"


def test_a_killed_server_loses_no_acknowledged_record(
    start_gunicorn: Callable[[], Gunicorn],
) -> None:
    server = start_gunicorn()
    workers_before = server.workers()
    assert len(workers_before) == WORKERS, f"{workers_before}\n{server.log_tail()}"
    load = Load()
    threads, per_thread = 6, 200
    kill_after = 120
    started = time.monotonic()
    clients = run_load(server.url, threads, per_thread, load)
    deadline = time.monotonic() + 30
    while len(load.acknowledged) < kill_after:
        assert time.monotonic() < deadline, f"too slow: {len(load.acknowledged)} acknowledged"
        assert not load.failures, load.failures[:5]
        time.sleep(0.005)  # the condition is a count other threads grow: poll it
    # Mid-load: the master and every worker at once, with no chance to clean up.
    server.signal(signal.SIGKILL)
    load.stop.set()
    server.process.wait(timeout=10)
    for client in clients:
        client.join(timeout=30)
        assert not client.is_alive(), "a client thread hung"
    duration = time.monotonic() - started
    # SIGKILL is delivered asynchronously: wait (bounded) for the workers to be gone.
    deadline = time.monotonic() + 10
    while any(is_running(pid) for pid in workers_before) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [pid for pid in workers_before if is_running(pid)] == [], "workers killed too"

    found = logged(server.database)  # a fresh connection replays the WAL
    records = sum(len(rows) for rows in found.values())
    figures = (
        f"{threads} threads posting to gunicorn ({WORKERS} workers x {WORKER_THREADS} threads), "
        f"SIGKILL after {kill_after} acknowledgements, {duration:.1f} s: "
        f"{len(load.acknowledged)} acknowledged, {records} records found, "
        f"{len(load.failures)} requests cut off by the kill"
    )
    print(f"\nkilled server: {figures}")

    missing = [ack["page"] for ack in load.acknowledged if ack["page"] not in found]
    assert missing == [], f"acknowledged but lost: {missing[:5]}; {figures}"
    for ack in load.acknowledged:
        rows = found[ack["page"]]
        assert [consent_id for consent_id, _, _ in rows] == [ack["id"]], f"{rows}; {figures}"
    # Rows beyond the acknowledged ones can only be answers the kill cut off.
    assert len(load.acknowledged) <= records <= len(load.acknowledged) + threads, figures
    integrity = sqlite3.connect(server.database).execute("PRAGMA integrity_check").fetchone()
    assert integrity == ("ok",), figures


def test_a_chunked_body_over_16kb_is_refused_by_the_real_server(
    start_gunicorn: Callable[[], Gunicorn],
) -> None:
    """gunicorn terminates chunked input, so werkzeug reads the body without a
    Content-Length: it must still be a 413, with nothing written."""
    server = start_gunicorn()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    padding = b" " * (16 * 1024)
    body = [b'{"action": "accept_all"}', padding]
    connection.request(
        "POST",
        "/api/consent",
        body=iter(body),
        headers={"Content-Type": "application/json"},
        encode_chunked=True,
    )
    response = connection.getresponse()
    answer = json.loads(response.read())
    connection.close()
    assert response.status == 413, answer
    assert answer["error"]["code"] == "payload_too_large"
    small = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    small.request(
        "POST",
        "/api/consent",
        body=iter([b'{"action": ', b'"reject_all"}']),
        headers={"Content-Type": "application/json"},
        encode_chunked=True,
    )
    accepted = small.getresponse()
    assert accepted.status == 201, accepted.read()
    small.close()
    assert sum(len(rows) for rows in logged(server.database).values()) == 1
