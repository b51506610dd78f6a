"""The production setup of docs/operating.md, started for real: its gunicorn command and
its nginx block, read from the document (so that the two cannot drift), with a
self-signed certificate and free ports, gunicorn run from outside the checkout.

Then slow clients (a body or headers a byte at a time) are held against it: behind
nginx every normal request is answered while they are still sending; against gunicorn
alone the same clients stall it (the control, which shows that the test can fail).
Bounded: every socket and request has a timeout, every process is stopped.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from examples.harness import free_port
from tests.conftest import SECRET

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning"),
]

ROOT = Path(__file__).resolve().parents[2]
OPERATING = ROOT / "docs" / "operating.md"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
BIN = Path(sys.executable).parent
#: How long each slow client takes to send its request, a byte at a time.
SLOW_SECONDS = 9.0
#: Normal requests sent while the slow clients send, and each one's time limit.
NORMAL_REQUESTS = 10
NORMAL_TIMEOUT = 3.0


def documented_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", OPERATING.read_text(), re.DOTALL)


def gunicorn_arguments() -> list[str]:
    """The documented command, from ``gunicorn`` on (the environment is set below)."""
    [command] = [b for b in documented_blocks("sh") if "gunicorn " in b and "--bind" in b]
    words = shlex.split(command.replace("\\\n", " "))
    return words[words.index("gunicorn") + 1 :]


def nginx_conf(directory: Path, listen: int, plain: int, upstream: int) -> str:
    """The documented blocks in a minimal nginx.conf that runs in ``directory``: only
    the ports, the certificate paths and the log are changed, and a plain HTTP listener
    is added to the HTTPS server (the slow clients use it: Python threads doing TLS a
    byte at a time would measure the client, not the server)."""
    site = documented_blocks("nginx")[0]
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};")
    site = site.replace(
        "listen 443 ssl;", f"listen 127.0.0.1:{listen} ssl;\n    listen 127.0.0.1:{plain};"
    )
    site = site.replace("listen 80;", f"listen 127.0.0.1:{free_port()};")
    site = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {directory}/cert.pem;", site)
    site = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {directory}/key.pem;", site)
    user = "user root;" if os.geteuid() == 0 else ""
    return f"""
{user}
worker_processes 1;
daemon off;
pid {directory}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
{site}
}}
"""


def wait_for(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            requests.get(url, timeout=2, verify=False)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {seconds} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@dataclass
class Setup:
    gunicorn: str  # http://127.0.0.1:port, gunicorn alone
    nginx: str  # https://127.0.0.1:port, nginx in front
    nginx_plain: str  # the same nginx server over plain HTTP
    threads: int  # gunicorn's workers times its threads


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    if NGINX is None:
        pytest.skip(
            "NGINX IS NOT INSTALLED: the production setup cannot be started. "
            "`python3 dev.py test` installs it (apt-get install nginx, as root on Debian)."
        )
    if shutil.which("openssl") is None:
        pytest.skip("OPENSSL IS NOT INSTALLED: no certificate for nginx (apt-get install openssl)")
    directory = tmp_path_factory.mktemp("production")
    certificate = ["-keyout", directory / "key.pem", "-out", directory / "cert.pem"]
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj"]  # noqa: RUF005
        + ["/CN=consent.example.org", *certificate],
        check=True,
        capture_output=True,
        timeout=60,
    )
    upstream, listen, plain = free_port(), free_port(), free_port()
    arguments = gunicorn_arguments()
    arguments[arguments.index("--bind") + 1] = f"127.0.0.1:{upstream}"
    workers = int(arguments[arguments.index("--workers") + 1])
    threads = int(arguments[arguments.index("--threads") + 1])
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CONSENT_", "PYTHONPATH"))},
        "CONSENT_SECRET_KEY": SECRET,
        "CONSENT_DATABASE": str(directory / "consent.db"),
        "CONSENT_TRUSTED_PROXIES": "1",
    }
    # From outside the checkout: only the installed package can be found.
    log = (directory / "gunicorn.log").open("wb")
    gunicorn = subprocess.Popen([BIN / "gunicorn", *arguments], cwd=directory, env=env, stderr=log)
    (directory / "nginx.conf").write_text(nginx_conf(directory, listen, plain, upstream))
    nginx = subprocess.Popen(
        [NGINX, "-p", directory, "-c", directory / "nginx.conf", "-e", "stderr"], stderr=log
    )
    try:
        wait_for(f"http://127.0.0.1:{upstream}/api/policy", gunicorn)
        wait_for(f"https://127.0.0.1:{listen}/api/policy", nginx)
        urls = [f"http://127.0.0.1:{upstream}", f"https://127.0.0.1:{listen}"]
        yield Setup(*urls, f"http://127.0.0.1:{plain}", threads=workers * threads)
    finally:
        stop(nginx)
        stop(gunicorn)
        log.close()


def test_the_documented_setup_serves_the_service(setup: Setup) -> None:
    page = requests.get(f"{setup.nginx}/", timeout=10, verify=False)
    assert page.status_code == 200
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Secure" in page.headers["Set-Cookie"], "nginx said the request came over HTTPS"
    chosen = requests.post(
        f"{setup.nginx}/api/consent", json={"action": "accept_all"}, timeout=10, verify=False
    )
    assert chosen.status_code == 201
    assert "; Secure" in chosen.headers["Set-Cookie"]
    assert requests.get(f"{setup.nginx}/consent.js", timeout=10, verify=False).ok


def test_a_client_cannot_choose_the_forwarded_headers(setup: Setup) -> None:
    """nginx sets every X-Forwarded-* header itself: a client's never reach the service."""
    forged = {
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Proto": "http",
        "X-Forwarded-Prefix": "/evil",
        "X-Forwarded-For": "198.51.100.7",
    }
    banner = requests.get(f"{setup.nginx}/consent/banner", headers=forged, timeout=10, verify=False)
    assert banner.status_code == 200
    html = banner.text
    assert "evil" not in html
    assert f'action="{setup.nginx}/consent"' in html


def test_nginx_refuses_a_large_body_itself(setup: Setup) -> None:
    response = requests.post(
        f"{setup.nginx}/api/consent",
        data=b"{" + b" " * 40_000 + b"}",
        headers={"Content-Type": "application/json"},
        timeout=10,
        verify=False,
    )
    assert response.status_code == 413


# ---- slow clients ----


@dataclass
class SlowClient:
    """Sends a request a byte at a time: its body (``kind="body"``) or its headers."""

    url: str
    kind: str
    finished_at: float = 0.0
    #: Why the connection ended before the request was sent (nginx drops a client
    #: whose headers take longer than client_header_timeout: that is the protection).
    dropped: str = ""
    connected: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread = field(init=False)

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        scheme, _, address = self.url.partition("://")
        host, port = address.rsplit(":", 1)
        try:
            raw = socket.create_connection((host, int(port)), timeout=SLOW_SECONDS + 10)
            if scheme == "https":
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                raw = context.wrap_socket(raw)
            with raw as sock:
                body = b'{"action": "reject_all"}'
                head = (
                    f"POST /api/consent HTTP/1.1\r\nHost: {address}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                ).encode()
                # Headers whole then the body a byte at a time, or the request line
                # then everything else a byte at a time.
                sent = len(head) if self.kind == "body" else len(b"POST /api/consent ")
                sock.sendall((head + body)[:sent])
                self.connected.set()
                rest = (head + body)[sent:]
                started = time.monotonic()
                for i in range(len(rest)):
                    # On a schedule, so that a busy machine does not stretch it.
                    due = started + (i + 1) * SLOW_SECONDS / len(rest)
                    time.sleep(max(0.0, due - time.monotonic()))
                    sock.sendall(rest[i : i + 1])
                self.finished_at = time.monotonic()
        except OSError as error:
            self.dropped = type(error).__name__
            self.finished_at = time.monotonic()
        finally:
            self.connected.set()


@dataclass
class Outcome:
    answered: int  # normal requests answered while every slow client was still sending
    latencies: list[float]  # of those answered, in seconds
    stalled: int  # normal requests with no answer in NORMAL_TIMEOUT, or answered too late
    dropped: int  # slow clients the server closed before they were done


def hold(url: str, clients: int) -> Outcome:
    slow = [SlowClient(url, "body" if i % 2 else "headers") for i in range(clients)]
    for client in slow:
        client.start()
    for client in slow:
        assert client.connected.wait(timeout=30), "a slow client could not connect"
    session = requests.Session()
    answered_at, latencies, stalled = [], [], 0
    for i in range(NORMAL_REQUESTS):
        started = time.monotonic()
        try:
            if i % 2:
                response = session.get(f"{url}/api/policy", timeout=NORMAL_TIMEOUT, verify=False)
            else:
                response = session.post(
                    f"{url}/api/consent",
                    json={"action": "accept_all"},
                    timeout=NORMAL_TIMEOUT,
                    verify=False,
                )
            assert response.status_code in (200, 201), response.status_code
            answered_at.append(time.monotonic())
            latencies.append(time.monotonic() - started)
        except requests.Timeout:
            stalled += 1
            if stalled == 2:  # stalled it is; the slow clients need not be waited for
                break
    for client in slow:
        client.thread.join(timeout=SLOW_SECONDS + 15)
    ends = [c.finished_at for c in slow]
    assert all(ends), "every slow client finished, one way or the other"
    in_time = [t for t in answered_at if t < min(ends)]
    late = len(answered_at) - len(in_time)
    return Outcome(len(in_time), latencies, stalled + late, sum(bool(c.dropped) for c in slow))


def report(name: str, clients: int, outcome: Outcome) -> None:
    slowest = max(outcome.latencies, default=float("nan"))
    print(
        f"\nslow clients, {name}: {clients} clients each sending a request over "
        f"{SLOW_SECONDS:.0f} s; {NORMAL_REQUESTS} normal requests: {outcome.answered} answered "
        f"while they sent, {outcome.stalled} stalled; slowest answer {slowest:.2f} s; "
        f"{outcome.dropped} slow clients dropped by the server"
    )


def test_slow_clients_do_not_stall_the_setup_behind_nginx(setup: Setup) -> None:
    clients = 3 * setup.threads
    outcome = hold(setup.nginx_plain, clients)
    report("nginx + gunicorn", clients, outcome)
    assert outcome.stalled == 0
    assert outcome.answered == NORMAL_REQUESTS
    # Only those that sent their headers a byte at a time, past client_header_timeout.
    assert outcome.dropped <= clients // 2


def test_the_same_slow_clients_stall_gunicorn_alone(setup: Setup) -> None:
    """The control: without the buffering proxy, gunicorn's threads wait on the slow
    clients and normal requests wait on them (what the issue measured)."""
    clients = 3 * setup.threads
    outcome = hold(setup.gunicorn, clients)
    report("gunicorn alone", clients, outcome)
    assert outcome.stalled >= 1
