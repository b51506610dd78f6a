"""How long ``consent-ui scan`` takes, and what it finds, on the demo site and on the
leaky example page (examples/qa/site).

Starts the consent service with its demo and the leaky example on free ports, runs the
real command on each (a subprocess, headless Chromium, the default wait for late
trackers) and prints the wall time, the pages scanned and the findings.

    .venv/bin/python bench/scan.py [--max-pages 20] [--wait 2] [--site demo|leaky]

The leaky page is served as http://localhost:<port>, another site than the consent
server on 127.0.0.1, so that its crawl stays on its own pages.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples" / "qa"))

from leaky_site import make_app as leaky_site  # noqa: E402

from consent_ui import create_app  # noqa: E402
from examples.harness import free_port, serve  # noqa: E402

CONSENT_UI = Path(sys.executable).with_name("consent-ui")


def scan(url: str, *args: str) -> tuple[float, dict]:
    started = time.monotonic()
    done = subprocess.run(
        [str(CONSENT_UI), "scan", url, "--format", "json", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    if done.returncode not in (0, 1):
        sys.exit(f"scan of {url} failed: {done.stderr.strip()}")
    return seconds, json.loads(done.stdout)


def show(name: str, seconds: float, report: dict) -> None:
    pages = report["pages"]
    print(f"\n{name}: {len(pages)} pages in {seconds:.1f} s ({seconds / len(pages):.1f} s a page)")
    counts = Counter((f["code"], f["severity"]) for f in report["findings"])
    for (code, severity), n in sorted(counts.items()):
        print(f"  {code} ({severity}): {n}")
    for f in report["findings"]:
        if f["severity"] != "info":
            print(f"    - {f['code']} [{f['state']} on {f['page']}] {f['message']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-pages", default="20")
    parser.add_argument("--wait", default="2")
    parser.add_argument("--site", choices=("demo", "leaky"), action="append")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    leaky_port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "CONSENT_SECRET_KEY": "bench-scan-secret-key-long-enough",
                "CONSENT_DATABASE": f"{folder}/consent.db",
                "CONSENT_ALLOWED_ORIGINS": f"http://localhost:{leaky_port}",
            }
        )
        consent = serve(app)
        leaky = serve(leaky_site(consent.url), leaky_port)
        try:
            options = ("--max-pages", args.max_pages, "--wait", args.wait)
            sites = args.site or ["demo", "leaky"]
            if "demo" in sites:
                show("demo site", *scan(consent.url + "/", *options))
            if "leaky" in sites:
                url = f"http://localhost:{leaky_port}/leaky.html"
                show("leaky example", *scan(url, *options))
        finally:
            leaky.stop()
            consent.stop()


if __name__ == "__main__":
    main()
