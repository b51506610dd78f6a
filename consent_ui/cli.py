"""The operator's command line: one click group, ``consent-ui …`` and ``flask consent …``.

Both run the same commands in an app context: ``flask`` with the host app it loaded,
the ``consent-ui`` script with the standalone service built from the same ``CONSENT_*``
environment. Results go to stdout, messages and progress to stderr; exit status 0 when
all is well, 1 for findings (or nothing found), 2 for bad usage or an unreachable
database or site, with a one-line reason. What the commands say is in the terminal's
language (``LANG=fr_CM.UTF-8``: French; ``i18n.terminal_language``), their help too
(``i18n.TerminalHelp``); their JSON and CSV, and click's own words, stay the same.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, ScriptInfo
from flask_babel import force_locale, format_decimal, format_percent, ngettext
from flask_babel import gettext as _

from . import exports, i18n, rights
from .consent import LOG_ACTIONS, utcnow
from .errors import ConsentUIError, InvalidConsentId, InvalidPeriod, UnknownConsentId
from .i18n import N_, TerminalCommand, TerminalHelp
from .scan.command import scan
from .stats import Period, Stats, compute


class Group(TerminalHelp, AppGroup):
    """The command group, its help in the terminal's language."""


consent = Group("consent", help=N_("Operate the consent log: figures, exports, requests, scans."))
consent.add_command(scan)  # no app context: a scan reads pages, not the log


class OperatorError(click.ClickException):
    """A command that cannot do its work: one line on stderr, exit status 2."""

    exit_code = 2


class NothingFound(click.ClickException):
    """The command worked and found nothing (an unknown consent id): exit status 1."""

    exit_code = 1


def command(name: str, help: str) -> Callable[[Callable[..., None]], click.Command]:
    """A command of the group, run in the app's context and the terminal's language;
    ``help`` is marked with ``N_``."""

    def decorate(f: Callable[..., None]) -> click.Command:
        @functools.wraps(f)
        def in_language(*args: Any, **kwargs: Any) -> None:
            with force_locale(i18n.terminal_language()):
                f(*args, **kwargs)

        return consent.command(name, cls=TerminalCommand, help=help)(in_language)

    return decorate


def state():
    """The consent-ui state of the app the command runs in."""
    from .extension import ConsentUI

    return ConsentUI.state(current_app)


def existing_store():
    """The log, refusing one that this very command just created empty: run without the
    service's environment, a command must say so rather than report on nothing."""
    store = state().store
    if store.created and store.count() == 0:
        raise OperatorError(
            _(
                "there is no consent log at %(path)s (it was empty and has just been created):"
                " run the command with the service's CONSENT_DATABASE"
            )
            % {"path": state().settings.database}
        )
    return store


@command(
    "retention",
    N_("Anonymise the records of consent IDs inactive for longer than the retention period."),
)
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=None,
    help=N_("Inactivity before anonymisation (default: CONSENT_RETENTION_DAYS, 3 years)."),
)
@click.option("--dry-run", is_flag=True, help=N_("Count what would be anonymised; change nothing."))
def retention(days: int | None, dry_run: bool) -> None:
    store = existing_store()
    days = days or state().settings.retention_days
    now = utcnow()
    report = store.anonymise_inactive(now - timedelta(days=days), now, dry_run=dry_run)
    said = {"rows": report.rows, "ids": report.consent_ids, "cutoff": report.cutoff}
    if dry_run:
        line = _(
            "would anonymise %(rows)d records of %(ids)d consent IDs inactive since before"
            " %(cutoff)s"
        )
    else:
        line = _(
            "anonymised %(rows)d records of %(ids)d consent IDs inactive since before %(cutoff)s"
        )
    click.echo(line % said)


def period_options(command: Any) -> Any:
    """``--from`` and ``--to``: UTC days, both included (the last 30 days by default)."""
    command = click.option(
        "--to",
        "end",
        metavar="YYYY-MM-DD",
        help=N_("Last UTC day of the period, included (default: today)."),
    )(command)
    return click.option(
        "--from",
        "start",
        metavar="YYYY-MM-DD",
        help=N_("First UTC day of the period, included (default: 29 days before --to)."),
    )(command)


def period(start: str | None, end: str | None) -> Period:
    try:
        return Period.parse(start, end, today=utcnow().date())
    except InvalidPeriod as e:
        raise OperatorError(e.message(_)) from None


def consent_id(value: str) -> str:
    try:
        return rights.parse_consent_id(value)
    except InvalidConsentId as e:
        raise OperatorError(e.message(_)) from None


def _percent(rate: float) -> str:
    return format_percent(rate, "#,##0.00 %")


def _labelled(pairs: list[tuple[str, str]]) -> Iterator[str]:
    width = max(len(label) for label, _value in pairs)
    for label, value in pairs:
        yield f"{label:<{width}}  {value}"


def stats_text(stats: Stats) -> Iterator[str]:
    """The figures for a person at a terminal (``--format json`` is for programs); the
    action codes, category keys and column names of the daily table are the log's."""
    p = stats.period
    yield _("Figures from %(first)s to %(last)s (%(days)d days, UTC), visitors' records only") % {
        "first": p.first,
        "last": p.last,
        "days": p.days,
    }
    yield ""
    actions = ", ".join(f"{a} {format_decimal(stats.actions[a])}" for a in LOG_ACTIONS)
    yield from _labelled(
        [
            (_("choices"), format_decimal(stats.choices)),
            (_("visitors"), format_decimal(stats.visitors)),
            (_("withdrawals"), format_decimal(stats.withdrawals)),
            (_("actions"), actions),
        ]
    )
    yield ""
    heads = (_("category"), _("granted"), _("opt-in rate"))
    width = max(len(heads[0]), *(len(k) for k in stats.categories))
    counts, rates = max(8, len(heads[1])), max(11, len(heads[2]))
    yield f"{heads[0]:<{width}}  {heads[1]:>{counts}}  {heads[2]:>{rates}}"
    for key in stats.categories:
        granted = format_decimal(stats.granted[key])
        yield f"{key:<{width}}  {granted:>{counts}}  {_percent(stats.rate(key)):>{rates}}"
    yield ""
    breakdowns = {
        "lang": _("by language"),
        "surface": _("by surface"),
        "revision": _("by revision"),
        "gpc": _("by GPC"),
    }
    yield from _labelled(
        [
            (
                breakdowns[name],
                ", ".join(f"{value} {tally.choices}" for value, tally in values.items()) or "-",
            )
            for name, values in stats.by.items()
        ]
    )
    yield ""
    columns = ("date", "choices", "withdrawals", *LOG_ACTIONS[:3], *stats.categories)
    yield "  ".join(f"{c:>{len(c)}}" if i else f"{c:<10}" for i, c in enumerate(columns))
    for day in stats.daily:
        values = (
            day.choices,
            day.withdrawals,
            *(day.actions[a] for a in LOG_ACTIONS[:3]),
            *(day.granted[k] for k in stats.categories),
        )
        cells = [f"{v:>{len(c)}}" for v, c in zip(values, columns[1:], strict=True)]
        yield "  ".join([day.date.isoformat(), *cells])


@command("stats", N_("Print the opt-in figures of a period (the dashboard's)."))
@period_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "csv"]),
    default="text",
    show_default=True,
    help=N_("json: the shape of GET /admin/api/stats; csv: the daily figures."),
)
def stats_command(start: str | None, end: str | None, fmt: str) -> None:
    chosen = period(start, end)
    figures = compute(existing_store(), state().policy, chosen)
    if fmt == "json":
        click.echo(json.dumps(figures.to_json(), indent=2))
    elif fmt == "csv":
        for chunk in exports.table(figures.daily_columns(), figures.daily_rows()):
            click.echo(chunk, nl=False)
    else:
        for line in stats_text(figures):
            click.echo(line)


@command(
    "export",
    N_("Write the raw records of a period, every column in the log's order (streamed)."),
)
@period_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(exports.FORMATS)),
    default="csv",
    show_default=True,
    help=N_("csv, or JSON lines (one record per line)."),
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help=N_("Write to this file instead of stdout."),
)
def export_command(start: str | None, end: str | None, fmt: str, output: Path | None) -> None:
    chosen = period(start, end)
    store = existing_store()
    if output is None:
        rights.note_export(store, str(chosen), now=utcnow(), ip_prefix=None)
        _write(store, chosen, fmt, sys.stdout)
        return
    try:
        f = output.open("w", encoding="utf-8", newline="")
    except OSError as e:
        raise OperatorError(
            _("cannot write %(path)s: %(reason)s") % {"path": output, "reason": e.strerror}
        ) from None
    with f:
        rights.note_export(store, str(chosen), now=utcnow(), ip_prefix=None)
        written = _write(store, chosen, fmt, f)
    click.echo(
        ngettext(
            "%(num)d record of %(period)s written to %(path)s",
            "%(num)d records of %(period)s written to %(path)s",
            written,
            period=chosen,
            path=output,
        ),
        err=True,
    )


def _write(store: Any, chosen: Period, fmt: str, out: IO[str]) -> int:
    """Stream the period's records to ``out``, with a progress bar on stderr when it is
    a terminal (its length from the figures: the visitors' records, so the few records
    of consent-ui's own tools pass it a little)."""
    rows = store.export(chosen.first, chosen.last)
    written = 0

    def counted() -> Iterator[dict[str, Any]]:
        nonlocal written
        for row in rows:
            written += 1
            yield row

    source = counted()
    if sys.stderr.isatty():
        expected = sum(row.records for row in store.figures(chosen.first, chosen.last, ()).rows)
        with click.progressbar(
            source,
            length=expected,
            label=_("exporting"),
            file=sys.stderr,
            update_min_steps=1000,
            item_show_func=lambda _row: ngettext("%(num)d record", "%(num)d records", written),
        ) as bar:
            for chunk in exports.records(bar, fmt):
                out.write(chunk)
    else:
        for chunk in exports.records(source, fmt):
            out.write(chunk)
    out.flush()
    return written


def show_text(found: rights.Access) -> Iterator[str]:
    """One id's records for a person (the columns are the log's names)."""
    count = len(found.records)
    yield ngettext(
        "consent ID %(id)s: %(num)d record",
        "consent ID %(id)s: %(num)d records",
        count,
        id=found.consent_id,
    )
    for number, row in enumerate(found.records, start=1):
        yield ""
        yield _("record %(number)d") % {"number": number}
        for key, value in row.items():
            shown = ", ".join(value) if isinstance(value, list) else value
            yield f"  {key:<11} {'' if shown is None else shown}"
    for text_hash, text in found.texts.items():
        yield ""
        yield _("text %(hash)s") % {"hash": text_hash}
        yield f"  {text}"
    for entry in found.audit:
        yield ""
        yield _("%(action)s by an operator at %(at)s") % {
            "action": entry["action"],
            "at": entry["created_at"],
        }


@command("show", N_("Print every record of one consent ID, with the exact texts shown."))
@click.argument("consent_id_value", metavar="CONSENT_ID")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help=N_("json: the records, the texts shown and the audit trail (access, portability)."),
)
def show_command(consent_id_value: str, fmt: str) -> None:
    wanted = consent_id(consent_id_value)
    try:
        found = rights.access(existing_store(), wanted)
    except UnknownConsentId as e:
        raise NothingFound(e.message(_)) from None
    if fmt == "json":
        click.echo(json.dumps(found.to_json(), indent=2, ensure_ascii=False))
    else:
        for line in show_text(found):
            click.echo(line)


@command(
    "anonymise", N_("Anonymise one consent ID's records now (an erasure request), and audit it.")
)
@click.argument("consent_id_value", metavar="CONSENT_ID")
def anonymise_command(consent_id_value: str) -> None:
    wanted = consent_id(consent_id_value)
    try:
        rows = rights.erase(existing_store(), wanted, now=utcnow(), ip_prefix=None)
    except UnknownConsentId as e:
        raise NothingFound(e.message(_)) from None
    click.echo(
        ngettext(
            "anonymised %(num)d record of consent ID %(id)s",
            "anonymised %(num)d records of consent ID %(id)s",
            rows,
            id=wanted,
        )
    )


def _standalone_app() -> Flask:
    """The service of the ``CONSENT_*`` environment, without inventing its log: a SQLite
    file that does not exist is an error, not an empty log."""
    from .config import default_database
    from .factory import SERVICE, create_app

    database = os.environ.get("CONSENT_DATABASE") or str(
        default_database(Flask(SERVICE).instance_path)
    )
    if "://" not in database and not Path(database).exists():
        with i18n.translating(i18n.terminal_language()):
            message = _(
                "there is no consent log at %(path)s: set CONSENT_DATABASE (and the rest of"
                " the service's CONSENT_* environment) to the log of the running service"
            ) % {"path": database}
        raise OperatorError(message)
    try:
        return create_app()
    except ConsentUIError as e:  # a bad setting or policy, said in one line
        raise OperatorError(str(e)) from None


def main() -> None:
    """The ``consent-ui`` console script."""
    consent.main(prog_name="consent-ui", obj=ScriptInfo(create_app=_standalone_app))
