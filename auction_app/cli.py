"""Operator commands: `flask --app auction_app <command>` (see docs/runbook.md)."""
from __future__ import annotations

import click
from flask import current_app

from auction_app import backup as backup_module
from auction_app.db import create_indexes
from auction_app.repositories import database


def init_app(app) -> None:
    app.cli.add_command(create_indexes_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(announce_command)


@click.command("create-indexes")
def create_indexes_command():
    """Create every index the product needs (idempotent)."""
    names = create_indexes(database())
    click.echo(f"{len(names)} indexes in place.")


@click.command("backup")
def backup_command():
    """Write a backup now and prune old ones (BACKUP_DIR, BACKUP_KEEP)."""
    path = backup_module.backup(database(), current_app.config["BACKUP_DIR"])
    backup_module.prune(current_app.config["BACKUP_DIR"], current_app.config["BACKUP_KEEP"])
    click.echo(str(path))


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(path, yes):
    """Replace the database's contents with a backup file."""
    if not yes:
        click.confirm(f"This replaces everything in {database().name!r} with {path}. Continue?", abort=True)
    counts = backup_module.restore(database(), path)
    click.echo(f"Restored {sum(counts.values())} documents in {len(counts)} collections.")


@click.command("announce")
@click.argument("message")
@click.option("--level", type=click.Choice(["info", "warning"]), default="info")
def announce_command(message, level):
    """Show a message to every connected member (e.g. planned maintenance)."""
    from workers.realtime import broadcast_announcement

    broadcast_announcement.delay(message, level)
    click.echo("Announcement queued.")
