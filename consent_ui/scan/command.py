"""``consent-ui scan``: the command line of the cookie scanner.

The report goes to stdout (or ``--output``), a progress line per page to stderr (a
progress bar when stderr is a terminal), so that ``--format json`` pipes clean. Exit
status: 0 without error findings, 1 with some, 2 when the scan cannot be made. The
report, the progress and the closing summary are in ``--lang`` (by default the
terminal's language, as the operator's commands), its codes and JSON keys in none.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask_babel import gettext as _
from flask_babel import ngettext

from ..i18n import N_, TerminalCommand, terminal_language, translating
from ..policy import LANGUAGES
from .findings import ERROR
from .report import FORMATS, RENDER
from .visit import PageScan

#: Width of the progress bar on a terminal.
BAR = 24


class _Progress:
    def __init__(self, lang: str) -> None:
        self.tty = sys.stderr.isatty()
        self.lang = lang

    def __call__(self, done: int, total: int, scan: PageScan | None, url: str) -> None:
        visited = sum(1 for v in scan.visits.values() if v.skipped is None) if scan else 0
        seen = len({o.key for v in scan.visits.values() for o in v.observations}) if scan else 0
        with translating(self.lang):
            visits = ngettext("%(num)d visit", "%(num)d visits", visited)
            items = ngettext("%(num)d item", "%(num)d items", seen)
        line = f"[{done}/{total}] {url} · {visits} · {items}"
        if self.tty:
            filled = BAR * done // max(total, 1)
            bar = "#" * filled + "-" * (BAR - filled)
            click.echo(f"\r\033[K{bar} {line}", err=True, nl=False)
        else:
            click.echo(line, err=True)

    def end(self) -> None:
        if self.tty:
            click.echo("", err=True)


@click.command(
    "scan",
    cls=TerminalCommand,
    help=N_(
        "Scan pages for what they store and call before consent, after Reject all and"
        " after Accept all, against the site's policy."
    ),
)
@click.argument("urls", nargs=-1, required=True, metavar="URL...")
@click.option(
    "--policy",
    "policy_file",
    type=click.Path(dir_okay=False),
    help=N_(
        "Classify against this policy file (default: the policy of the server the pages'"
        " snippet comes from)."
    ),
)
@click.option(
    "--server",
    metavar="URL",
    help=N_("Classify against the /api/policy of this consent-ui server."),
)
@click.option(
    "--max-pages",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help=N_("Pages to scan: the URLs given, then same-site links breadth-first."),
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help=N_("text for people, json for programs, junit for CI, html with screenshots."),
)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default=terminal_language,
    show_default=N_("the terminal's language, else en"),
    help=N_("The language of the report (its codes, states and JSON keys stay the same)."),
)
@click.option(
    "--output", type=click.Path(dir_okay=False, writable=True), help=N_("Write the report here.")
)
@click.option(
    "--suggest",
    is_flag=True,
    help=N_("Print policy TOML for the undeclared cookies and storage keys instead of the report."),
)
@click.option(
    "--wait",
    type=click.FloatRange(min=0, max=60),
    default=2.0,
    show_default=True,
    help=N_("Seconds each visit waits, after loading and scrolling, for late trackers."),
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1, max=300),
    default=30.0,
    show_default=True,
    help=N_("Seconds a page may take to load."),
)
@click.option(
    "--chromium-arg",
    "chromium_args",
    multiple=True,
    metavar="SWITCH",
    help=N_(
        "An extra Chromium switch, e.g. --host-resolver-rules='MAP www.example.org"
        " 10.0.0.5' to scan a staging server under its public names."
    ),
)
def scan(
    urls: tuple[str, ...],
    policy_file: str | None,
    server: str | None,
    max_pages: int,
    fmt: str,
    lang: str,
    output: str | None,
    suggest: bool,
    wait: float,
    timeout: float,
    chromium_args: tuple[str, ...],
) -> None:
    from ..cli import OperatorError
    from . import scanner
    from .suggest import suggest as suggestions

    if policy_file and server:
        raise click.UsageError("give --policy or --server, not both")
    progress = _Progress(lang)
    try:
        result = scanner.run(
            list(urls),
            policy_file=policy_file,
            server=server,
            max_pages=max_pages,
            wait=wait,
            timeout=timeout,
            chromium_args=chromium_args,
            screenshots=fmt == "html" and not suggest,
            progress=progress,
            lang=lang,
        )
    except scanner.ScanError as e:
        progress.end()
        raise OperatorError(str(e)) from None
    progress.end()
    text = suggestions(result.policy, result.assessment.items) if suggest else RENDER[fmt](result)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
    with translating(lang):
        if output:
            click.echo(_("report written to %(path)s") % {"path": output}, err=True)
        click.echo(f"consent-ui scan: {result.summary()}", err=True)
    if result.assessment.count(ERROR):
        sys.exit(1)
