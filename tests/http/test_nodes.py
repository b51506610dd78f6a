"""Several web nodes on one PostgreSQL: real gunicorn processes (several workers,
several threads each, ``--preload`` as docs/scaling.md runs them) started at the same
moment on an empty database (their migrations race; the advisory lock makes them take
turns), then under concurrent load
from visitors who change node on every request (the web tier is stateless):

- every acknowledged record is in the log exactly once, under the id it was given;
- a node killed with SIGKILL mid-load loses no acknowledged record;
- a database restart mid-load gives 503s with ``Retry-After``, never a 500, and loses no
  acknowledged record; the nodes come back by themselves.

Every request carries a unique ``page``, which the log keeps, so each acknowledged
answer is matched with exactly one row. Run with ``-s`` to see the figures.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from consent_ui.store.postgres import SCHEMA_VERSION
from examples.harness import free_port
from examples.postgres import PostgresCluster
from tests.http.test_concurrency import (
    ACTIONS,
    GUNICORN,
    NEW_VISITOR_EVERY,
    OPENER,
    ROOT,
    START_TIMEOUT,
    WORKER_THREADS,
    WORKERS,
    Gunicorn,
    _wait_until_ready,
    is_running,
    launch,
)

pytestmark = pytest.mark.slow

NODES = 2


@dataclass
class Load:
    """What the client threads saw."""

    acknowledged: list[dict[str, Any]] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    reads: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    retry_after: set[str | None] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)


def call(
    method: str, url: str, body: dict[str, Any] | None, token: str | None
) -> tuple[int, Any, str | None]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Consent-Token"] = token
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with OPENER.open(request, timeout=30) as response:
            return response.status, json.load(response), None
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace"), e.headers.get("Retry-After")


def visitor(urls: list[str], number: int, requests: int, load: Load) -> None:
    """Posts choices, alternating nodes; reads its consent back after each one."""
    token: str | None = None
    current_id: str | None = None
    for i in range(requests):
        if load.stop.is_set():
            return
        if i % NEW_VISITOR_EVERY == 0:
            token = current_id = None
        url = urls[(number + i) % len(urls)]
        page = f"/t{number}/r{i}"
        body = {**ACTIONS[(number + i) % len(ACTIONS)], "page": page, "surface": "banner"}
        try:
            status, answer, retry = call("POST", f"{url}/api/consent", body, token)
        except (OSError, http.client.HTTPException) as e:
            with load.lock:
                load.statuses["no answer"] += 1
                load.failures.append(f"{page}: {type(e).__name__}: {e}")
            continue
        with load.lock:
            load.statuses[status] += 1
            if status == 503:
                load.retry_after.add(retry)
        if status != 201:
            if status != 503:
                with load.lock:
                    load.failures.append(f"{page}: {status} {answer}")
            continue
        if current_id is not None and answer["id"] != current_id:
            with load.lock:
                load.failures.append(f"{page}: id changed from {current_id} to {answer['id']}")
        token, current_id = answer["token"], answer["id"]
        with load.lock:
            load.acknowledged.append({"page": page, "id": answer["id"], "body": body})
        # The other node reads it back (the withdrawal check runs on every read).
        try:
            status, _, retry = call(
                "GET", f"{urls[(number + i + 1) % len(urls)]}/api/consent", None, token
            )
        except (OSError, http.client.HTTPException):
            status = "no answer"
        with load.lock:
            load.reads[status] += 1
            if status == 503:
                load.retry_after.add(retry)


def run_load(urls: list[str], threads: int, requests: int, load: Load) -> list[threading.Thread]:
    clients = [
        threading.Thread(target=visitor, args=(urls, n, requests, load), daemon=True)
        for n in range(threads)
    ]
    for client in clients:
        client.start()
    return clients


def join(clients: list[threading.Thread], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    for client in clients:
        client.join(timeout=max(0.1, deadline - time.monotonic()))
        assert not client.is_alive(), "a client thread hung"


def logged(url: str) -> dict[str, list[tuple[str, str]]]:
    """Every row by page: (consent_id, action)."""
    with psycopg.connect(url) as conn:
        found: dict[str, list[tuple[str, str]]] = {}
        for page, consent_id, action in conn.execute(
            "SELECT page, consent_id, action FROM consent_log"
        ):
            found.setdefault(page, []).append((consent_id, action))
        return found


def assert_exactly_once(load: Load, found: dict[str, list[tuple[str, str]]], figures: str) -> None:
    missing = [ack["page"] for ack in load.acknowledged if ack["page"] not in found]
    assert missing == [], f"acknowledged but lost: {missing[:5]}; {figures}"
    for ack in load.acknowledged:
        rows = found[ack["page"]]
        assert rows == [(ack["id"], ack["body"]["action"])], f"{ack['page']}: {rows}; {figures}"


@pytest.fixture
def start_nodes(tmp_path: Path, postgres_url: str) -> Iterator[Callable[[int], list[Gunicorn]]]:
    nodes: list[Gunicorn] = []

    def start(count: int) -> list[Gunicorn]:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CONSENT_")},
            "CONSENT_SECRET_KEY": "nodes-test-key-of-at-least-32-characters",
            "CONSENT_DATABASE": postgres_url,
            "CONSENT_ALLOWED_ORIGINS": "https://shop.example.org",
        }
        started = []
        # All at once, before waiting for any: they migrate the empty database at the
        # same moment.
        for n in range(count):
            # As docs/scaling.md runs nodes: the app (and its migration) loads in the
            # master, so start-up is over once it answers; a worker forked later does
            # not migrate again.
            node = launch(env, Path(postgres_url), tmp_path / f"node{n}.log", "--preload")
            nodes.append(node)
            started.append(node)
        for node in started:
            _wait_until_ready(node)
        return started

    yield start
    for node in nodes:
        node.stop()


def test_nodes_started_at_once_log_every_choice_exactly_once(
    start_nodes: Callable[[int], list[Gunicorn]], postgres_url: str
) -> None:
    nodes = start_nodes(NODES)
    with psycopg.connect(postgres_url) as conn:
        versions = conn.execute("SELECT version FROM consent_ui_schema ORDER BY version")
        versions = versions.fetchall()
    expected = [(version,) for version in range(1, SCHEMA_VERSION + 1)]
    assert versions == expected, f"{NODES} nodes migrated an empty database once"

    threads, per_thread = 8, 50
    load = Load()
    started = time.monotonic()
    join(run_load([n.url for n in nodes], threads, per_thread, load))
    duration = time.monotonic() - started

    found = logged(postgres_url)
    records = sum(len(rows) for rows in found.values())
    requests = threads * per_thread
    figures = (
        f"{requests} requests from {threads} threads to {NODES} gunicorn nodes ({WORKERS} "
        f"workers x {WORKER_THREADS} threads each) on one PostgreSQL in {duration:.1f} s: "
        f"{len(load.acknowledged)} acknowledged, {records} records found, "
        f"{len(load.failures)} failed; reads {dict(load.reads)}"
    )
    print(f"\ntwo nodes: {figures}")
    assert load.failures == [], f"{figures}; first failures: {load.failures[:5]}"
    assert len(load.acknowledged) == requests, figures
    assert records == requests, figures
    assert_exactly_once(load, found, figures)
    assert dict(load.reads) == {200: requests}, figures
    visitors = threads * (per_thread // NEW_VISITOR_EVERY)
    assert len({ack["id"] for ack in load.acknowledged}) == visitors, figures


def test_a_node_killed_mid_load_loses_no_acknowledged_record(
    start_nodes: Callable[[int], list[Gunicorn]], postgres_url: str
) -> None:
    nodes = start_nodes(NODES)
    victim = nodes[0]
    workers_before = victim.workers()
    threads, per_thread, kill_after = 6, 60, 100
    load = Load()
    started = time.monotonic()
    clients = run_load([n.url for n in nodes], threads, per_thread, load)
    deadline = time.monotonic() + 60
    while len(load.acknowledged) < kill_after:
        assert time.monotonic() < deadline, f"too slow: {len(load.acknowledged)} acknowledged"
        assert not load.failures, load.failures[:5]
        time.sleep(0.005)  # the condition is a count other threads grow: poll it
    # Mid-load: one node's master and every worker at once, no chance to clean up.
    victim.signal(signal.SIGKILL)
    killed_at = len(load.acknowledged)
    victim.process.wait(timeout=10)
    join(clients)
    duration = time.monotonic() - started
    deadline = time.monotonic() + 10
    while any(is_running(pid) for pid in workers_before) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [pid for pid in workers_before if is_running(pid)] == [], "workers killed too"

    found = logged(postgres_url)
    records = sum(len(rows) for rows in found.values())
    cut_off = load.statuses["no answer"]
    figures = (
        f"{threads} threads posting to {NODES} nodes, SIGKILL of one after {killed_at} "
        f"acknowledgements, {duration:.1f} s: {sum(load.statuses.values())} requests, "
        f"{len(load.acknowledged)} acknowledged, {records} records found, "
        f"{cut_off} requests to the dead node unanswered, statuses {dict(load.statuses)}"
    )
    print(f"\nkilled node: {figures}")
    assert_exactly_once(load, found, figures)
    assert set(load.statuses) <= {201, "no answer"}, figures
    # Rows beyond the acknowledged ones can only be answers the kill cut off.
    assert len(load.acknowledged) <= records <= len(load.acknowledged) + threads, figures
    assert len(load.acknowledged) > killed_at, "the surviving node kept acknowledging"


def test_a_database_restart_mid_load_gives_503s_never_a_500(
    start_nodes: Callable[[int], list[Gunicorn]], postgres: PostgresCluster, postgres_url: str
) -> None:
    nodes = start_nodes(NODES)
    threads, per_thread, restart_after = 6, 80, 60
    load = Load()
    started = time.monotonic()
    clients = run_load([n.url for n in nodes], threads, per_thread, load)
    deadline = time.monotonic() + 60
    while len(load.acknowledged) < restart_after:
        assert time.monotonic() < deadline, f"too slow: {len(load.acknowledged)} acknowledged"
        time.sleep(0.005)
    before = len(load.acknowledged)
    postgres.stop_server("immediate")  # like a crash: no checkpoint, connections cut
    time.sleep(1.0)  # a real outage, long enough for every node to notice
    during = dict(load.statuses)
    postgres.start_server()
    restarted = time.monotonic()
    join(clients, timeout=300)
    duration = time.monotonic() - started
    after = len(load.acknowledged) - before

    found = logged(postgres_url)
    records = sum(len(rows) for rows in found.values())
    unavailable = load.statuses[503]
    figures = (
        f"{threads} threads posting to {NODES} nodes, PostgreSQL stopped (immediate) after "
        f"{before} acknowledgements for 1 s, {duration:.1f} s in all "
        f"({time.monotonic() - restarted:.1f} s after the restart): "
        f"{sum(load.statuses.values())} requests, {len(load.acknowledged)} acknowledged, "
        f"{records} records found; writes {dict(load.statuses)}, reads {dict(load.reads)}, "
        f"statuses when it came back {during}"
    )
    print(f"\ndatabase restart: {figures}")
    assert 500 not in load.statuses, figures
    assert 500 not in load.reads, figures
    assert set(load.statuses) <= {201, 503}, f"{figures}; {load.failures[:5]}"
    assert set(load.reads) <= {200, 503}, figures
    assert unavailable > 0, f"the outage was seen: {figures}"
    assert load.retry_after == {"5"}, f"every 503 says when to retry: {figures}"
    assert after > 0, f"the nodes came back by themselves: {figures}"
    assert_exactly_once(load, found, figures)
    # A record committed just before its connection was cut is a 503 and still a row.
    assert len(load.acknowledged) <= records <= len(load.acknowledged) + unavailable, figures
    for node in nodes:
        assert node.process.poll() is None, "the nodes survived the outage"


def test_a_node_without_its_database_stops_with_one_line() -> None:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CONSENT_")},
        "CONSENT_SECRET_KEY": "nodes-test-key-of-at-least-32-characters",
        "CONSENT_DATABASE": f"postgresql://consent:s3cret@127.0.0.1:{free_port()}/consent",
    }
    command = [str(GUNICORN), "--chdir", str(ROOT), "--bind", f"127.0.0.1:{port}", "app:app"]
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=START_TIMEOUT * 3, check=False
    )
    lines = [line for line in result.stderr.splitlines() if line.startswith("consent-ui:")]
    assert result.returncode != 0
    assert len(lines) >= 1, result.stderr
    assert lines[0].startswith(
        "consent-ui: CONSENT_DATABASE: cannot reach postgresql://consent@"
    ), lines
    assert "s3cret" not in result.stderr
    assert "Traceback" not in result.stderr
    assert "App failed to load" in result.stderr, "the master stops instead of respawning"
