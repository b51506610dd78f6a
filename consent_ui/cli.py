"""The operator's command line: one click group, ``consent-ui …`` and ``flask consent …``.

Both run the same commands in an app context: ``flask`` with the host app it loaded,
the ``consent-ui`` script with the standalone service built from the same ``CONSENT_*``
environment. Results go to stdout, messages and progress to stderr; exit status 0 when
all is well, 1 for findings (or nothing found), 2 for bad usage or an unreachable
database or site, with a one-line reason.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, ScriptInfo

from .consent import utcnow
from .errors import ConsentUIError
from .scan.command import scan

consent = AppGroup("consent", help="Operate the consent log: figures, exports, requests, scans.")
consent.add_command(scan)  # no app context: a scan reads pages, not the log


class OperatorError(click.ClickException):
    """A command that cannot do its work: one line on stderr, exit status 2."""

    exit_code = 2


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
            f"there is no consent log at {state().settings.database} (it was empty and has "
            "just been created): run the command with the service's CONSENT_DATABASE"
        )
    return store


@consent.command("retention")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=None,
    help="Inactivity before anonymisation (default: CONSENT_RETENTION_DAYS, 3 years).",
)
@click.option("--dry-run", is_flag=True, help="Count what would be anonymised; change nothing.")
def retention(days: int | None, dry_run: bool) -> None:
    """Anonymise the records of consent ids inactive for longer than the retention period."""
    store = existing_store()
    days = days or state().settings.retention_days
    now = utcnow()
    report = store.anonymise_inactive(now - timedelta(days=days), now, dry_run=dry_run)
    verb = "would anonymise" if dry_run else "anonymised"
    click.echo(
        f"{verb} {report.rows} records of {report.consent_ids} consent ids "
        f"inactive since before {report.cutoff}"
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
        raise OperatorError(
            f"there is no consent log at {database}: set CONSENT_DATABASE (and the rest of "
            "the service's CONSENT_* environment) to the log of the running service"
        )
    try:
        return create_app()
    except ConsentUIError as e:  # a bad setting or policy, said in one line
        raise OperatorError(str(e)) from None


def main() -> None:
    """The ``consent-ui`` console script."""
    consent.main(prog_name="consent-ui", obj=ScriptInfo(create_app=_standalone_app))
