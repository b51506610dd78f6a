"""Serve examples/static-site on its own origin, pointed at a consent server.

The page is written for http://127.0.0.1:8000; this swaps in the consent server's
real origin, so that the demo, the browser tests and the benchmark all load the same
page. Usage: python examples/static_site.py --port 8001 --consent http://127.0.0.1:8000
"""

from __future__ import annotations

import argparse
import mimetypes
from pathlib import Path

from werkzeug.serving import run_simple
from werkzeug.wrappers import Request, Response

SITE = Path(__file__).resolve().parent / "static-site"
WRITTEN_FOR = "http://127.0.0.1:8000"


def make_app(consent_origin: str, directory: Path = SITE):
    def app(environ, start_response):
        request = Request(environ)
        name = request.path.strip("/") or "index.html"
        path = (directory / name).resolve()
        if directory not in path.parents or not path.is_file():
            return Response("not found", status=404)(environ, start_response)
        body = path.read_text(encoding="utf-8").replace(WRITTEN_FOR, consent_origin)
        mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        response = Response(body, mimetype=mimetype)
        response.headers["Cache-Control"] = "no-cache"
        return response(environ, start_response)

    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--consent", default=WRITTEN_FOR, help="the consent server's origin")
    args = parser.parse_args()
    run_simple(args.host, args.port, make_app(args.consent.rstrip("/")))
