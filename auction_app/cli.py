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
    app.cli.add_command(maintenance_command)
    app.cli.add_command(restore_drill_command)
    from auction_app.ops.lifecycle_cli import register as register_lifecycle

    register_lifecycle(app)


def _now():
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


def target_description() -> str:
    """The database a command will change, as `name on host:port[,…]` (never credentials)."""
    from pymongo.uri_parser import parse_uri

    try:
        hosts = ",".join(f"{h}:{p}" for h, p in parse_uri(current_app.config["MONGO_URL"])["nodelist"])
    except Exception:  # noqa: BLE001 — an odd URL still gets a description
        hosts = "(the configured MONGO_URL)"
    return f"database {database().name!r} on {hosts}"


@click.command("create-indexes")
@with_appcontext
def create_indexes_command():
    """Create every index the product needs (idempotent)."""
    names = create_indexes(database())
    click.echo(f"{len(names)} indexes in place.")


@click.command("backup")
@with_appcontext
def backup_command():
    """Write a backup now: private file, encrypted and copied off-site when configured, old ones pruned
    (7 daily + 4 weekly by default). Prints the file's path last."""
    from auction_app import backup_storage
    from auction_app.repositories import ops_state

    try:
        outcome = backup_storage.run_backup(database(), current_app.config)
    except backup_storage.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    ops_state.record_success(database(), ops_state.BACKUP, _now(), file=outcome.path.name,
                             encrypted=outcome.encrypted, offsite=outcome.offsite)
    if outcome.offsite:
        click.echo(f"Copied off-site to {outcome.offsite}.")
    if outcome.pruned or outcome.pruned_offsite:
        click.echo(f"Pruned {len(outcome.pruned)} old local and {len(outcome.pruned_offsite)} off-site backups.")
    click.echo(str(outcome.path))


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(path, yes):
    """Replace the database's contents with a backup file (plain or .enc)."""
    from auction_app import backup_storage
    from auction_app.repositories import audit

    target = target_description()
    click.echo(f"Target: {target}")
    if not yes:
        click.confirm(f"This replaces everything in {target} with {path}. Continue?", abort=True)
    try:
        with backup_storage.readable(path, current_app.config.get("BACKUP_ENCRYPTION_KEY")) as plain:
            counts = backup_module.restore(database(), plain)
    except backup_storage.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    audit.record(database(), None, "operator", "admin_restored", _now(), file=str(path)[-200:])
    click.echo(f"Restored {sum(counts.values())} documents in {len(counts)} collections into {target}.")


@click.command("restore-drill")
@with_appcontext
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False))
def restore_drill_command(path):
    """Restore the newest backup (or PATH) into a scratch database, compare counts and auction
    invariants, drop the scratch database. Fails loudly when anything differs."""
    from auction_app.ops.drill import run_drill

    result = run_drill(current_app.config, database(), path)
    for problem in result["problems"]:
        click.echo(f"  - {problem}", err=True)
    if not result["ok"]:
        raise click.ClickException(f"Restore drill FAILED for {result['file']}.")
    click.echo(f"Restore drill passed: {sum(result['restored'].values())} documents from {result['file']}.")


@click.command("maintenance")
@with_appcontext
@click.argument("state", type=click.Choice(["on", "off"]))
@click.argument("message", required=False)
def maintenance_command(state, message):
    """Maintenance mode: `on` pauses running auctions, makes writes answer 503 with MESSAGE and tells
    every room; `off` resumes the auctions it paused and clears the message."""
    from auction_app.ops import maintenance, status_cache
    from auction_app.repositories import audit

    if state == "on":
        paused = maintenance.turn_on(database(), message, _now())
        click.echo(f"Maintenance is ON. Paused {len(paused)} running auction(s). "
                   f"Every web process refuses writes within {current_app.config['STATUS_CACHE_SECONDS']:g} s.")
    else:
        resumed = maintenance.turn_off(database(), _now())
        click.echo(f"Maintenance is OFF. Resumed {len(resumed)} auction(s).")
    audit.record(database(), None, "operator", f"admin_maintenance_{state}", _now())
    status_cache.forget(current_app)


@click.command("announce")
@with_appcontext
@click.argument("message", required=False)
@click.option("--level", type=click.Choice(["info", "warning"]), default="info")
@click.option("--hours", type=click.IntRange(1, 336), default=None,
              help="How long it shows (default ANNOUNCEMENT_HOURS).")
@click.option("--clear", is_flag=True, help="Take down every announcement in force instead.")
def announce_command(message, level, hours, clear):
    """Show a message to every connected member (e.g. planned maintenance), or --clear them."""
    from datetime import timedelta

    from auction_app.repositories import announcements, audit
    from workers.realtime import broadcast_announcement

    now = _now()
    if clear:
        cleared = announcements.clear(database(), now)
        audit.record(database(), None, "operator", "admin_cleared_announcements", now, count=cleared)
        click.echo(f"Cleared {cleared} announcement(s).")
        return
    if not message:
        raise click.UsageError("Give the MESSAGE to announce, or --clear.")
    hours = hours or current_app.config["ANNOUNCEMENT_HOURS"]
    announcements.add(database(), message, level, None, now, now + timedelta(hours=hours))
    audit.record(database(), None, "operator", "admin_announced", now, level=level, hours=hours)
    broadcast_announcement.delay(message, level)
    click.echo(f"Announcement saved for the status page for {hours} h and sent to connected members.")


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
    from auction_app.repositories import audit

    user, created = users.get_or_create(database(), address, datetime.now(timezone.utc))
    users.set_role(database(), user["_id"], users.ADMIN)
    audit.record(database(), None, "operator", "admin_made_admin", datetime.now(timezone.utc), user_id=user["_id"])
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
