"""`flask lifecycle`: archive finished leagues and apply retention now (the nightly task does the same)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("lifecycle")
@with_appcontext
def lifecycle_command():
    """Archive leagues finished LEAGUE_ARCHIVE_DAYS ago; drop old audit records, screenshots, announcements."""
    from datetime import datetime, timezone

    from auction_app.ops.lifecycle import run_daily
    from auction_app.repositories import database

    done = run_daily(database(), datetime.now(timezone.utc), current_app.config)
    click.echo(f"Archived {len(done['archived'])} league(s); removed {done['audit']} audit record(s), "
               f"{done['screenshots']} screenshot(s), {done['announcements']} announcement(s).")


def register(app) -> None:
    app.cli.add_command(lifecycle_command)
