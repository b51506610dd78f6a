"""The deliberately leaky page of the example suite (site/), as a WSGI app pointed at a
consent server: the QA suite's conftest serves it, and so does bench/scan.py, which
scans it. It is not one of the product's demo pages.

Usage: python examples/qa/leaky_site.py --port 8002 --consent http://127.0.0.1:8000
(the consent server must allow the origin: CONSENT_ALLOWED_ORIGINS=http://127.0.0.1:8002).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from werkzeug.serving import run_simple
from werkzeug.wrappers import Request, Response

SITE = Path(__file__).resolve().with_name("site")


def make_app(consent_origin: str):
    def app(environ, start_response):
        path = (SITE / (Request(environ).path.lstrip("/") or "leaky.html")).resolve()
        if SITE not in path.parents or not path.is_file():
            return Response("not found", status=404)(environ, start_response)
        body = path.read_text(encoding="utf-8").replace("__CONSENT__", consent_origin)
        kind = "text/javascript" if path.suffix == ".js" else "text/html"
        return Response(body, mimetype=kind)(environ, start_response)

    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    parser.add_argument("--consent", default="http://127.0.0.1:8000")
    args = parser.parse_args()
    run_simple(args.host, args.port, make_app(args.consent.rstrip("/")))
