"""Running the service for tests and benchmarks: free ports, threaded WSGI servers and
the Chromium to drive (Playwright's own where installed, else the system's)."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from consent_ui import chromium

#: The scanner's and the QA kit's switches (``--no-sandbox`` as root), without the GPU.
CHROMIUM_ARGS = chromium.launch_args(["--disable-gpu"])
#: None for Playwright's own Chromium, else the system's: the scanner's and the QA kit's.
chromium_executable = chromium.executable


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
