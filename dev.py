#!/usr/bin/env python3
"""Set-up and everyday commands for consent-ui; needs nothing but Python 3.11+.

    python3 dev.py serve      start the service with its demo site on http://127.0.0.1:8000
                              (and a static page embedding the snippet on :8001)
    python3 dev.py test       lint, then every test (unit, HTTP, browser), installing
                              what is missing first (virtualenv, packages, Chromium,
                              PostgreSQL for the store tests)
    python3 dev.py bench      print the snippet's size and speed figures
    python3 dev.py messages   extract the messages and update both catalogues

Arguments after ``test`` go to pytest (``python3 dev.py test -k banner``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"


def say(message: str) -> None:
    print(f"dev.py: {message}", flush=True)


def run(*args: str | Path, **kwargs) -> None:
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, **kwargs)


def ensure_venv(extra: str) -> None:
    """Create .venv and install the package with ``extra`` when pyproject.toml changed."""
    if sys.version_info < (3, 11):
        sys.exit("dev.py: consent-ui needs Python 3.11 or newer")
    if not PYTHON.exists():
        say("creating .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed-{extra}"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    say(f"installing consent-ui[{extra}] into .venv")
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PYTHON, "-m", "pip", "install", "--quiet", "-e", f".[{extra}]")
    stamp.write_text(wanted)


def system_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def playwright_chromium() -> str | None:
    code = (
        "from playwright.sync_api import sync_playwright\n"
        "with sync_playwright() as p: print(p.chromium.executable_path)"
    )
    out = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=False)
    path = out.stdout.strip()
    return path if path and Path(path).exists() else None


def ensure_browser() -> None:
    """Playwright's own Chromium where it can be installed, else the system's."""
    if playwright_chromium():
        return
    say("installing Playwright's Chromium")
    result = subprocess.run(
        [PYTHON, "-m", "playwright", "install", "chromium"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if result.returncode == 0 and playwright_chromium():
        return
    if system_chromium():
        say(f"Playwright could not download its browser; using {system_chromium()}")
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        say("installing Chromium from the system's packages (apt-get)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run("apt-get", "update", "-qq", env=env)
        run("apt-get", "install", "-y", "-qq", "chromium", env=env)
        if system_chromium():
            return
    sys.exit(
        "dev.py: no Chromium for the browser tests. Run "
        "`.venv/bin/python -m playwright install chromium`, or install your system's "
        "chromium package, then try again."
    )


def postgres_installed() -> bool:
    return any(Path("/usr/lib/postgresql").glob("*/bin/initdb")) or bool(shutil.which("initdb"))


def ensure_postgres() -> None:
    """PostgreSQL's server binaries, for the throwaway cluster the tests start
    (examples/postgres.py): Debian's package, installed when missing and run as root."""
    if postgres_installed():
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        say("installing PostgreSQL from the system's packages (apt-get)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run("apt-get", "update", "-qq", env=env)
        run("apt-get", "install", "-y", "-qq", "postgresql", env=env)
        if postgres_installed():
            return
    sys.exit(
        "dev.py: no PostgreSQL for the store tests. Install your system's postgresql "
        "package (Debian: apt-get install postgresql), then try again."
    )


def serve(args: list[str]) -> None:
    """The service with its demo on :8000, and a plain static page on :8001 that embeds
    the snippet from another origin."""
    database = os.environ.get("CONSENT_DATABASE", "")
    on_postgres = database.startswith(("postgresql://", "postgres://"))
    ensure_venv("serve,postgres" if on_postgres else "serve")
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    origin = f"http://{host}:{port}"
    page_port = port + 1
    env = dict(os.environ)
    env.setdefault(
        "CONSENT_ALLOWED_ORIGINS", f"http://{host}:{page_port},http://localhost:{page_port}"
    )
    example = subprocess.Popen(
        [
            PYTHON,
            "examples/static_site.py",
            "--host",
            host,
            "--port",
            str(page_port),
            "--consent",
            origin,
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    log = "PostgreSQL (CONSENT_DATABASE)" if on_postgres else database or "instance/consent.db"
    say(f"demo site and consent service: {origin}/ (consent log: {log})")
    say(f"a page on another site embedding the snippet: http://localhost:{page_port}/")
    try:
        subprocess.run(
            [BIN / "flask", "--app", "app", "run", "--host", host, "--port", str(port), *args],
            cwd=ROOT,
            env=env,
            check=False,
        )
    except KeyboardInterrupt:
        pass
    finally:
        example.terminate()
        example.wait()


def test(args: list[str]) -> None:
    ensure_venv("test")
    ensure_browser()
    ensure_postgres()
    say("ruff")
    run(BIN / "ruff", "check", ".")
    run(BIN / "ruff", "format", "--check", ".")
    say("pytest")
    result = subprocess.run([BIN / "pytest", *args], cwd=ROOT, check=False)
    sys.exit(result.returncode)


def bench(args: list[str]) -> None:
    ensure_venv("test")
    ensure_browser()
    run(PYTHON, "bench/snippet.py", *args)


def messages(args: list[str]) -> None:
    """Extract the messages, then update both catalogues (keeping their headers, which
    hold the language and the plural rule, and dropping obsolete entries)."""
    ensure_venv("test")
    pot = ROOT / "translations" / "messages.pot"
    keywords = ["-k", "_", "-k", "gettext", "-k", "ngettext:1,2", "-k", "lazy_gettext"]
    run(
        BIN / "pybabel",
        "extract",
        "--no-location",
        "--omit-header",
        "-F",
        "babel.cfg",
        *keywords,
        "-o",
        pot,
        ".",
    )
    run(
        BIN / "pybabel",
        "update",
        "--no-fuzzy-matching",
        "--ignore-obsolete",
        "-i",
        pot,
        "-d",
        "translations",
    )
    say("catalogues updated; translate the empty fr entries, copy msgid to msgstr in en")


COMMANDS = {"serve": serve, "test": test, "bench": bench, "messages": messages}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[2:])
