"""The site under test: consent-ui's demo, served by the consent server the plugin
starts, and one deliberately leaky page of this suite's own (site/, leaky_site.py),
served on another port and allowed to embed the snippet."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from leaky_site import make_app
from werkzeug.serving import make_server


@pytest.fixture(scope="session")
def site_url(consent_server) -> str:
    """The demo site is the consent server's own pages."""
    return consent_server.url + "/"


@pytest.fixture(scope="session")
def leaky_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def consent_allowed_origins(consent_allowed_origins: list[str], leaky_port: int) -> list[str]:
    """The plugin's (from --consent-allow-origin), and the leaky page's origin."""
    return [*consent_allowed_origins, f"http://127.0.0.1:{leaky_port}"]


@pytest.fixture(scope="session")
def leaky_url(consent_server, leaky_port: int) -> Iterator[str]:
    server = make_server("127.0.0.1", leaky_port, make_app(consent_server.url), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{leaky_port}/leaky.html"
    server.shutdown()
    server.server_close()
