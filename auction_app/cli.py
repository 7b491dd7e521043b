"""Operator commands: `flask --app auction_app <command>` (see docs/runbook.md)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from auction_app import backup as backup_module
from auction_app.db import create_indexes
from auction_app.repositories import database


def init_app(app) -> None:
    app.cli.add_command(create_indexes_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(announce_command)
    app.cli.add_command(load_catalogs_command)
    app.cli.add_command(make_admin_command)


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
    from datetime import datetime, timezone

    from auction_app.repositories import announcements
    from workers.realtime import broadcast_announcement

    announcements.add(database(), message, level, None, datetime.now(timezone.utc))
    broadcast_announcement.delay(message, level)
    click.echo("Announcement saved for the status page and sent to connected members.")


@click.command("make-admin")
@with_appcontext
@click.argument("email")
def make_admin_command(email):
    """Make EMAIL an administrator (creates the account if missing)."""
    from datetime import datetime, timezone

    from auction_app.auth.schemas import normalize_email
    from auction_app.repositories import users

    try:
        address = normalize_email(email)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="EMAIL") from None
    user, created = users.get_or_create(database(), address, datetime.now(timezone.utc))
    users.set_role(database(), user["_id"], users.ADMIN)
    click.echo(f"{address} is now an administrator{' (account created)' if created else ''}.")


@click.command("load-catalogs")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@with_appcontext
def load_catalogs_command(files):
    """Load or update sports catalogs: the bundled ones, or the given JSON files.

    A catalog with a key already loaded is replaced (its teams are updated);
    leagues already created keep the teams they chose. Every problem in a bad
    file is listed, nothing from that file is written, and the command fails.
    """
    from pathlib import Path

    from auction_app.domain.catalog import CatalogError, bundled_catalog_paths, load_catalog
    from auction_app.repositories import sports

    paths = [Path(f) for f in files] or bundled_catalog_paths()
    if not paths:
        raise click.ClickException("No catalog files were given and none are bundled with the app.")
    failed = 0
    for path in paths:
        if not path.is_file():
            click.echo(f"{path}: file not found.", err=True)
            failed += 1
            continue
        try:
            catalog = load_catalog(path)
        except CatalogError as exc:
            failed += 1
            click.echo(f"{path}: not loaded, because:", err=True)
            for problem in exc.problems:
                click.echo(f"  - {problem}", err=True)
            continue
        sports.upsert(database(), catalog)
        click.echo(f"Loaded {catalog.name} ({catalog.key}): {len(catalog.teams)} teams.")
    if failed:
        raise click.ClickException(f"{failed} of {len(paths)} catalog file(s) could not be loaded; "
                                   "fix the problems above and run the command again.")
