"""Backups an operator can trust: retention, private files, encryption, an
off-site copy through rclone (a local remote here), the restore drill, and a
restore that names its target before it asks."""
from __future__ import annotations

import gzip
import stat
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet

from auction_app import backup_storage
from auction_app.ops.drill import run_drill
from auction_app.repositories import ops_state
from auction_app.services import auction_engine as engine
from tests.support.factories import make_league

START = datetime(2026, 9, 1, 3, 0, tzinfo=timezone.utc)


def settings_for(directory: Path, **extra) -> dict:
    return {"BACKUP_DIR": str(directory), "BACKUP_KEEP_DAILY": 7, "BACKUP_KEEP_WEEKLY": 4,
            "BACKUP_ENCRYPTION_KEY": None, "BACKUP_RCLONE_REMOTE": None, "BACKUP_RCLONE_CONFIG": None} | extra


@pytest.fixture
def source(db, scratch_db):
    """A small database of its own with a real auction in it (copied from the test database)."""
    league, users = make_league(db, members=3)
    auction, _ = engine.start(db, league, users[0]["_id"], datetime.now(timezone.utc))
    scratch_db.auctions.insert_one(db.auctions.find_one({"_id": auction["_id"]}))
    scratch_db.leagues.insert_one(db.leagues.find_one({"_id": league["_id"]}))
    scratch_db.users.insert_many([db.users.find_one({"_id": u["_id"]}) for u in users])
    return scratch_db


def test_retention_keeps_seven_daily_and_four_weekly_backups(tmp_path):
    names = [f"backup-{START + timedelta(days=d, minutes=m):%Y%m%dT%H%M%SZ}.jsonl.gz"
             for d in range(60) for m in (0, 90)]  # two a day for 60 days
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("not a backup")
    removed = backup_storage.prune(tmp_path, daily=7, weekly=4)
    kept = sorted(p.name for p in tmp_path.glob("backup-*"))
    days = {backup_storage.backup_time(n).date() for n in kept}
    weeks = {backup_storage.backup_time(n).isocalendar()[:2] for n in kept}
    newest_days = {(START + timedelta(days=d)).date() for d in range(53, 60)}
    assert newest_days <= days, "the last 7 days are all there"
    assert len(weeks) == 4 and len(kept) <= 11
    assert max(kept) == names[-1], "the newest backup is always kept"
    assert len(removed) == len(names) - len(kept)
    assert (tmp_path / "notes.txt").exists(), "files that are not backups are left alone"


def test_backup_files_are_private_and_encrypted_with_the_key_from_the_environment(source, tmp_path):
    key = Fernet.generate_key().decode()
    outcome = backup_storage.run_backup(source, settings_for(tmp_path / "b", BACKUP_ENCRYPTION_KEY=key))
    assert outcome.encrypted and outcome.path.name.endswith(".jsonl.gz.enc")
    assert stat.S_IMODE(outcome.path.stat().st_mode) == 0o600
    assert [p.name for p in (tmp_path / "b").iterdir()] == [outcome.path.name], "no plain copy left behind"
    with pytest.raises(gzip.BadGzipFile):
        gzip.open(outcome.path).read()

    with pytest.raises(backup_storage.BackupError, match="set BACKUP_ENCRYPTION_KEY"):
        with backup_storage.readable(outcome.path, None):
            pass
    with pytest.raises(backup_storage.BackupError, match="can't be decrypted"):
        with backup_storage.readable(outcome.path, Fernet.generate_key().decode()):
            pass
    with pytest.raises(backup_storage.BackupError, match="not a valid Fernet key"):
        backup_storage.run_backup(source, settings_for(tmp_path / "c", BACKUP_ENCRYPTION_KEY="short"))

    from auction_app import backup as dump

    auction_id = source.auctions.find_one()["_id"]
    source.auctions.delete_many({})
    with backup_storage.readable(outcome.path, key) as plain:
        dump.restore(source, plain)
    assert source.auctions.find_one()["_id"] == auction_id


def test_offsite_copy_with_rclone_to_a_configured_remote_with_the_same_retention(source, tmp_path):
    remote_dir = tmp_path / "offsite-bucket"
    conf = tmp_path / "rclone.conf"
    conf.write_text("[offsite]\ntype = local\n")
    settings = settings_for(tmp_path / "local", BACKUP_RCLONE_REMOTE=f"offsite:{remote_dir}/club",
                            BACKUP_RCLONE_CONFIG=str(conf), BACKUP_KEEP_DAILY=2, BACKUP_KEEP_WEEKLY=1)
    outcomes = [backup_storage.run_backup(source, settings, now=START + timedelta(days=d)) for d in range(4)]
    assert outcomes[-1].offsite == f"offsite:{remote_dir}/club/{outcomes[-1].path.name}"
    remote = sorted(p.name for p in (remote_dir / "club").iterdir())
    local = sorted(p.name for p in (tmp_path / "local").iterdir())
    assert remote == local == sorted(o.path.name for o in outcomes[-2:])
    assert (remote_dir / "club" / outcomes[-1].path.name).read_bytes() == outcomes[-1].path.read_bytes()

    broken = settings | {"BACKUP_RCLONE_REMOTE": "nowhere:bucket"}
    with pytest.raises(backup_storage.BackupError, match="rclone copyto failed"):
        backup_storage.run_backup(source, broken, now=START + timedelta(days=9))


def test_restore_drill_passes_on_a_good_backup_and_names_a_broken_auction(source, tmp_path, db):
    directory = tmp_path / "drill"
    backup_storage.run_backup(source, settings_for(directory))
    result = run_drill(settings_for(directory), source)
    assert result["ok"], result["problems"]
    assert result["restored"]["auctions"] == 1
    assert ops_state.get(source, ops_state.RESTORE_DRILL)["last_ok"] is True
    left = [name for name in source.client.list_database_names() if name.startswith(f"{source.name}_restore_drill")
            and source.client[name].list_collection_names()]
    assert left == [], "scratch copy dropped"

    auction = source.auctions.find_one()
    member = next(iter(auction["members"]))
    source.auctions.update_one({"_id": auction["_id"]}, {"$set": {f"members.{member}.spent": 40}})
    later = datetime.now(timezone.utc) + timedelta(minutes=1)
    backup_storage.run_backup(source, settings_for(directory), now=later)
    failed = run_drill(settings_for(directory), source)
    assert not failed["ok"]
    assert any(member in p and "spent/filled" in p for p in failed["problems"])
    assert ops_state.get(source, ops_state.RESTORE_DRILL)["last_ok"] is False


def test_restore_names_the_target_host_and_database_before_asking(app, db, tmp_path):
    runner = app.test_cli_runner()
    made = backup_storage.run_backup(db, settings_for(tmp_path))
    answered_no = runner.invoke(args=["restore", str(made.path)], input="n\n")
    assert answered_no.exit_code == 1, "saying no aborts"
    host = app.config["MONGO_URL"].split("//")[1].split("/")[0]
    first_line = answered_no.output.splitlines()[0]
    assert first_line == f"Target: database 'auction_test' on {host}"
    assert answered_no.output.index("Target:") < answered_no.output.index("Continue?")


def test_nightly_backup_records_success_and_the_metrics_show_it(app, db, web, worker):
    from workers.maintenance import nightly_backup

    with app.app_context():
        path = Path(nightly_backup())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    record = ops_state.get(db, ops_state.BACKUP)
    assert record["file"] == path.name
    with app.app_context():
        assert run_drill(app.config, db)["ok"]
    wanted = record["last_success_at"].timestamp()
    deadline = time.monotonic() + 20
    while True:
        text = requests.get(web + "/metrics", timeout=5).text
        found = dict(line.split()[:2] for line in text.splitlines()
                     if line.startswith(("backup_last_success_timestamp_seconds ",
                                         "restore_drill_last_success_timestamp_seconds ")))
        fresh = abs(float(found.get("backup_last_success_timestamp_seconds", 0)) - wanted) < 1
        if (fresh and "restore_drill_last_success_timestamp_seconds" in found) or time.monotonic() > deadline:
            break
        time.sleep(1)  # the web process re-reads these with its cached status check (in the background)
    assert fresh, (found, wanted)
    assert float(found["restore_drill_last_success_timestamp_seconds"]) >= wanted - 1
