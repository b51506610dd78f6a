"""Running the service for tests and benchmarks: free ports, threaded WSGI servers and
the Chromium to drive (Playwright's own where installed, else the system's)."""

from __future__ import annotations

import shutil
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

CHROMIUM_ARGS = [
    "--no-sandbox",  # Chromium refuses to run as root without it
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    server: BaseWSGIServer
    app: Any = None

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve(wsgi_app: Any, port: int = 0) -> LiveServer:
    """Serve ``wsgi_app`` on 127.0.0.1 from a daemon thread."""
    server = make_server("127.0.0.1", port, wsgi_app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return LiveServer(f"http://127.0.0.1:{server.server_port}", server, wsgi_app)


def chromium_executable(playwright: Any) -> str | None:
    """None to launch Playwright's own Chromium, else the path of the system's."""
    if Path(playwright.chromium.executable_path).exists():
        return None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("no Chromium: run `python3 dev.py test` once, it installs one")
