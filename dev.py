#!/usr/bin/env python3
"""Set-up and everyday commands for consent-ui; needs nothing but Python 3.11+.

    python3 dev.py serve      start the service with its demo site on http://127.0.0.1:8000
                              (and a static page embedding the snippet on :8001)
    python3 dev.py test       lint, then every test (unit, HTTP, browser) and the QA
                              kit's example suite (examples/qa), installing what is
                              missing first (virtualenv, packages, Chromium, Firefox
                              ESR, WebKitGTK, Xvfb, nginx, PostgreSQL)
    python3 dev.py bench      print the snippet's size and speed figures, then the
                              side-by-side comparison with other consent managers
                              (``bench snippet`` or ``bench peers`` for one of them)
    python3 dev.py fuzz [N] [--jobs J]
                              the long fuzz run: N examples per route and per API
                              operation (default 1000, about 26,000 requests) in J
                              processes; prints the requests by status
    python3 dev.py messages   extract the messages and update both catalogues
    python3 dev.py seed       add a realistic month of demo records to the demo's log
                              (instance/consent.db), for the operator dashboard

Arguments after ``test`` go to pytest (``python3 dev.py test -k banner``); then only
the main suite runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
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
    if not apt_install({"chromium": "chromium"}) and system_chromium():
        return
    sys.exit(
        "dev.py: no Chromium for the browser tests. Run "
        "`.venv/bin/python -m playwright install chromium`, or install your system's "
        "chromium package, then try again."
    )


#: The other two engines of the browser tests (tests/browser/engines), from Debian's
#: packages: Playwright cannot download its own builds here, and drives neither
#: Debian's WebKitGTK (Selenium's WebKitGTK driver does) nor a stock Firefox but over
#: WebDriver BiDi (its moz-firefox channel). WebKitGTK has no headless mode: Xvfb.
ENGINES = {"firefox-esr": "firefox-esr", "WebKitWebDriver": "webkit2gtk-driver", "Xvfb": "xvfb"}
#: What tests/production needs besides Python: nginx (the buffering proxy of the
#: production setup) and openssl (its test certificate).
SYSTEM_TOOLS = {"nginx": "nginx", "openssl": "openssl"}


#: PostgreSQL's server, for the throwaway cluster of the store tests (examples/postgres.py).
POSTGRES = {"initdb": "postgresql"}


def found(tool: str) -> bool:
    """On PATH, in an sbin folder, or among PostgreSQL's versioned binaries."""
    sbin = ("/usr/sbin", "/usr/local/sbin")
    return (
        bool(shutil.which(tool))
        or any(Path(d, tool).exists() for d in sbin)
        or any(Path("/usr/lib/postgresql").glob(f"*/bin/{tool}"))
    )


def apt_install(tools: dict[str, str]) -> list[str]:
    """Install the Debian packages of the ``{tool: package}`` not found, with apt-get
    when run as root on Debian/Ubuntu; returns the packages still missing."""
    missing = [package for tool, package in tools.items() if not found(tool)]
    if missing and shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        say(f"installing {', '.join(missing)} from the system's packages (apt-get)")
        # RUNLEVEL=1: packaged services (nginx, postgresql) are not started.
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive", "RUNLEVEL": "1"}
        run("apt-get", "update", "-qq", env=env)
        run("apt-get", "install", "-y", "-qq", *missing, env=env)
        missing = [package for tool, package in tools.items() if not found(tool)]
    return missing


def ensure_engines() -> None:
    """Firefox ESR, WebKitGTK's WebDriver and Xvfb; without them, stop, saying which:
    the tests in those engines are part of the suite and would fail."""
    missing = apt_install(ENGINES)
    if missing:
        sys.exit(
            f"dev.py: ENGINES MISSING for the browser tests: {', '.join(missing)}. The "
            "snippet's flows run in Firefox and WebKit too; install those Debian packages "
            "(as root, `apt-get install " + " ".join(missing) + "`), then try again."
        )


def ensure_system_tools() -> None:
    missing = apt_install(SYSTEM_TOOLS)
    if missing:
        say(
            f"WARNING: {', '.join(missing)} missing and cannot be installed here (not root "
            "on Debian/Ubuntu): tests/production will be skipped, saying so"
        )


def ensure_postgres() -> None:
    """The store tests run on a real PostgreSQL too: without one, stop, saying so."""
    if apt_install(POSTGRES):
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
    ensure_engines()
    ensure_system_tools()
    ensure_postgres()
    say("ruff")
    run(BIN / "ruff", "check", ".")
    run(BIN / "ruff", "format", "--check", ".")
    say("pytest")
    result = subprocess.run([BIN / "pytest", *args], cwd=ROOT, check=False)
    if result.returncode or args:
        sys.exit(result.returncode)
    # A project of its own (its pytest.ini), as a QA team's suite lives in its repository.
    say("examples/qa: the QA kit's example suite against the demo site")
    qa = subprocess.run([BIN / "pytest"], cwd=ROOT / "examples" / "qa", check=False)
    sys.exit(qa.returncode)


BENCHES = ("snippet", "peers")


def bench(args: list[str]) -> None:
    """``bench`` runs both benchmarks; ``bench snippet|peers [options]`` one of them."""
    ensure_venv("test")
    ensure_browser()
    names = [args.pop(0)] if args and args[0] in BENCHES else list(BENCHES)
    for name in names:
        say(f"bench/{name}.py")
        run(PYTHON, f"bench/{name}.py", *args)


def fuzz(args: list[str]) -> None:
    """The fuzz suite (tests/fuzz) with a large budget; CI runs it with a small one.

    ``--jobs J`` splits its tests across J pytest processes and adds up their counts.
    """
    ensure_venv("test")
    jobs = 1
    if "--jobs" in args:
        at = args.index("--jobs")
        jobs = int(args[at + 1])
        del args[at : at + 2]
    examples = args.pop(0) if args and args[0].isdigit() else "1000"
    say(f"fuzz: {examples} examples per route and per operation, {jobs} process(es)")
    listed = subprocess.run(
        [BIN / "pytest", "tests/fuzz", "--collect-only", "-q", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    tests = [line for line in listed.stdout.splitlines() if "::" in line]
    with tempfile.TemporaryDirectory() as tmp:
        running = []
        for job in range(jobs):
            report = Path(tmp, f"{job}.json")
            env = {**os.environ, "FUZZ_EXAMPLES": examples, "FUZZ_REPORT": str(report)}
            command = [BIN / "pytest", "-q", "-p", "no:cacheprovider", *tests[job::jobs], *args]
            running.append((subprocess.Popen(command, cwd=ROOT, env=env), report))
        failed = [process.wait() for process, _ in running]
        totals: dict[str, dict[str, int]] = {"all": {}}
        for _, report in running:
            found = json.loads(report.read_text()) if report.exists() else {}
            for suite, figures in found.items():
                if isinstance(figures, dict):
                    for status, count in figures["statuses"].items():
                        for kept in (totals.setdefault(suite, {}), totals["all"]):
                            kept[status] = kept.get(status, 0) + count
    for suite, counts in totals.items():
        errors = sum(n for status, n in counts.items() if int(status) >= 500)
        statuses = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items()))
        say(f"fuzz, {suite}: {sum(counts.values())} requests, 5xx: {errors} ({statuses})")
    sys.exit(max(failed))


def messages(args: list[str]) -> None:
    """Extract the messages, then update both catalogues (keeping their headers, which
    hold the language and the plural rule, and dropping obsolete entries)."""
    ensure_venv("test")
    pot = ROOT / "translations" / "messages.pot"
    keywords = ["-k", "_", "-k", "gettext", "-k", "ngettext:1,2", "-k", "lazy_gettext", "-k", "N_"]
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


def seed(args: list[str]) -> None:
    """A month of demo records in the demo's log (examples/demo_log.py --help)."""
    ensure_venv("serve")
    result = subprocess.run([PYTHON, "examples/demo_log.py", *args], cwd=ROOT, check=False)
    sys.exit(result.returncode)


COMMANDS = {
    "serve": serve,
    "test": test,
    "bench": bench,
    "fuzz": fuzz,
    "messages": messages,
    "seed": seed,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[2:])
