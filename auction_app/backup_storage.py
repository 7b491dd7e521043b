"""Where backups live and for how long: private files, optional encryption,
retention (7 daily + 4 weekly), an off-site copy with rclone, and the restore drill.

auction_app/backup.py writes and reads the dump itself; this module handles
everything around it. No Flask here: callers pass the settings they need.

- Files are created with umask 077 (mode 0600): only the service's user reads them.
- With BACKUP_ENCRYPTION_KEY (a Fernet key: `python -c "from cryptography.fernet
  import Fernet; print(Fernet.generate_key().decode())"`), the dump is encrypted
  and only `backup-….jsonl.gz.enc` is kept. Restore decrypts with the same key.
- Off-site: `rclone copyto` to BACKUP_RCLONE_REMOTE (any rclone remote, e.g.
  `offsite:club-auction`), then the same retention is applied there.
"""
from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

NAME = re.compile(r"^backup-(\d{8}T\d{6}Z)\.jsonl\.gz(\.enc)?$")
ENCRYPTED_SUFFIX = ".enc"


class BackupError(RuntimeError):
    """A backup step failed; the message says what to do."""


@contextlib.contextmanager
def private_files():
    """Files created inside are readable by this user only (0600)."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def backup_time(name: str) -> datetime | None:
    match = NAME.match(name)
    if not match:
        return None
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)


def retention_plan(names: list[str], daily: int, weekly: int) -> tuple[list[str], list[str]]:
    """(keep, delete): the newest backup of each of the last `daily` days that have one, and of
    each of the last `weekly` ISO weeks. Names that aren't backups are left alone (in neither list)."""
    dated = sorted(((backup_time(n), n) for n in names if backup_time(n)), reverse=True)
    keep: list[str] = []
    days: set = set()
    weeks: set = set()
    for when, name in dated:
        day, week = when.date(), when.isocalendar()[:2]
        chosen = False
        if day not in days and len(days) < daily:
            days.add(day)
            chosen = True
        if week not in weeks and len(weeks) < weekly:
            weeks.add(week)
            chosen = True
        if chosen:
            keep.append(name)
    return keep, [name for _, name in dated if name not in keep]


def prune(directory: str | os.PathLike, daily: int, weekly: int) -> list[Path]:
    directory = Path(directory)
    _keep, doomed = retention_plan([p.name for p in directory.iterdir() if p.is_file()], daily, weekly)
    for name in doomed:
        (directory / name).unlink()
    return [directory / name for name in doomed]


def _fernet(key: str):
    from cryptography.fernet import Fernet

    try:
        return Fernet(key.encode() if isinstance(key, str) else key)
    except (ValueError, TypeError) as exc:
        raise BackupError("BACKUP_ENCRYPTION_KEY is not a valid Fernet key (32 url-safe base64 bytes); "
                          "make one with: python -c \"from cryptography.fernet import Fernet; "
                          "print(Fernet.generate_key().decode())\"") from exc


def encrypt(path: Path, key: str) -> Path:
    """Replace `path` by its encrypted copy `path.enc` (0600)."""
    target = path.with_name(path.name + ENCRYPTED_SUFFIX)
    partial = target.with_name(target.name + ".partial")
    with private_files():
        partial.write_bytes(_fernet(key).encrypt(path.read_bytes()))
    partial.rename(target)
    path.unlink()
    return target


@contextlib.contextmanager
def readable(path: str | os.PathLike, key: str | None):
    """The path of a plain backup to restore from: decrypted into a private temporary file if needed."""
    path = Path(path)
    if not path.name.endswith(ENCRYPTED_SUFFIX):
        yield path
        return
    if not key:
        raise BackupError(f"{path.name} is encrypted: set BACKUP_ENCRYPTION_KEY to the key it was made with")
    from cryptography.fernet import InvalidToken

    try:
        plain = _fernet(key).decrypt(path.read_bytes())
    except InvalidToken as exc:
        raise BackupError(f"{path.name} can't be decrypted with this BACKUP_ENCRYPTION_KEY") from exc
    with private_files(), tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / path.name[: -len(ENCRYPTED_SUFFIX)]
        target.write_bytes(plain)
        yield target


@dataclass
class Offsite:
    """An rclone remote (BACKUP_RCLONE_REMOTE), with an optional rclone config file."""

    remote: str
    config: str | None = None
    binary: str = "rclone"
    timeout: float = 1800

    def _run(self, *args: str) -> str:
        command = [self.binary, *args] + (["--config", self.config] if self.config else [])
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=self.timeout)
        except FileNotFoundError as exc:
            raise BackupError("rclone is not installed (Debian package `rclone`)") from exc
        if done.returncode != 0:
            raise BackupError(f"rclone {args[0]} failed: {done.stderr.strip()[-500:]}")
        return done.stdout

    def target(self, name: str) -> str:
        return f"{self.remote.rstrip('/')}/{name}"

    def copy(self, path: Path) -> str:
        self._run("copyto", str(path), self.target(path.name))
        return self.target(path.name)

    def names(self) -> list[str]:
        return [line.strip() for line in self._run("lsf", "--files-only", self.remote).splitlines() if line.strip()]

    def prune(self, daily: int, weekly: int) -> list[str]:
        _keep, doomed = retention_plan(self.names(), daily, weekly)
        for name in doomed:
            self._run("deletefile", self.target(name))
        return doomed


@dataclass
class Outcome:
    path: Path
    encrypted: bool = False
    offsite: str | None = None
    pruned: list[Path] = field(default_factory=list)
    pruned_offsite: list[str] = field(default_factory=list)


def run_backup(db, settings: dict, now: datetime | None = None) -> Outcome:
    """Dump, keep private, encrypt, copy off-site, apply retention. Raises BackupError on failure."""
    from auction_app import backup as dump

    directory = Path(settings["BACKUP_DIR"])
    with private_files():
        directory.mkdir(parents=True, exist_ok=True)
        path = dump.backup(db, directory, now)
    os.chmod(path, 0o600)
    outcome = Outcome(path)
    if settings.get("BACKUP_ENCRYPTION_KEY"):
        outcome.path = encrypt(path, settings["BACKUP_ENCRYPTION_KEY"])
        outcome.encrypted = True
    daily, weekly = settings["BACKUP_KEEP_DAILY"], settings["BACKUP_KEEP_WEEKLY"]
    if settings.get("BACKUP_RCLONE_REMOTE"):
        offsite = Offsite(settings["BACKUP_RCLONE_REMOTE"], settings.get("BACKUP_RCLONE_CONFIG"))
        outcome.offsite = offsite.copy(outcome.path)
        outcome.pruned_offsite = offsite.prune(daily, weekly)
    outcome.pruned = prune(directory, daily, weekly)
    return outcome


def latest_backup(directory: str | os.PathLike) -> Path | None:
    found = sorted((p for p in Path(directory).glob("backup-*") if backup_time(p.name)), key=lambda p: p.name)
    return found[-1] if found else None


def auction_problems(auction: dict) -> list[str]:
    """Invariants a restored auction must still satisfy (spend and roster per member match the sold lots)."""
    problems = []
    settings = auction.get("settings") or {}
    sold: dict[str, list[int]] = {}
    for team, lot in (auction.get("lots") or {}).items():
        if lot.get("status") == "sold":
            sold.setdefault(lot.get("winner_id"), []).append(int(lot.get("price") or 0))
    for uid, member in (auction.get("members") or {}).items():
        prices = sold.get(uid, [])
        if member.get("spent") != sum(prices) or member.get("filled") != len(prices):
            problems.append(f"auction {auction['_id']}: member {uid} spent/filled do not match the sold lots")
        if "budget" in settings and member.get("spent", 0) > settings["budget"]:
            problems.append(f"auction {auction['_id']}: member {uid} is over budget")
        if "roster_slots" in settings and member.get("filled", 0) > settings["roster_slots"]:
            problems.append(f"auction {auction['_id']}: member {uid} has too many teams")
    return problems


def restore_drill(db, scratch, path: Path, key: str | None) -> dict:
    """Restore `path` into the scratch database, compare with `db`, check every auction.

    Counts are compared per collection; a collection written to since the backup may
    differ, so only fewer documents in the restore than in the backup header's
    snapshot is an error (the backup's own counts are what must come back).
    """
    from auction_app import backup as dump

    with readable(path, key) as plain:
        expected = _counts_in_file(plain)
        restored = dump.restore(scratch, plain)
    problems = [f"{name}: {restored.get(name, 0)} restored, {count} in the backup"
                for name, count in expected.items() if restored.get(name, 0) != count]
    for auction in scratch.auctions.find():
        problems.extend(auction_problems(auction))
    live = {name: db[name].estimated_document_count() for name in expected}
    return {"ok": not problems, "problems": problems, "restored": restored, "live": live}


def _counts_in_file(path: Path) -> dict[str, int]:
    import gzip
    import json

    # Distinct documents: one changed while the backup ran may be listed twice (restore keeps one).
    ids: dict[str, set] = {}
    with gzip.open(path, "rt", encoding="utf-8") as src:
        src.readline()
        for line in src:
            row = json.loads(line)
            ids.setdefault(row["c"], set()).add(json.dumps(row["d"].get("_id"), sort_keys=True))
    return {name: len(found) for name, found in ids.items()}
