"""Operator commands: ``flask --app app consent …``."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from .consent import utcnow

consent = AppGroup("consent", help="Operate the consent log.")


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
    state = current_app.extensions["consent_ui"]
    days = days or state.settings.retention_days
    now = utcnow()
    report = state.store.anonymise_inactive(now - timedelta(days=days), now, dry_run=dry_run)
    verb = "would anonymise" if dry_run else "anonymised"
    click.echo(
        f"{verb} {report.rows} records of {report.consent_ids} consent ids "
        f"inactive since before {report.cutoff}"
    )
