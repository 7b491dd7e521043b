"""The image's one entrypoint, run directly for every role (no Docker engine here),
the wheel built from a clean copy of the repository, and the Dockerfile lint."""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
import redis as redis_lib
import requests

import config
from tests.support import services

ROOT = services.ROOT
ENTRYPOINT = str(ROOT / "docker" / "entrypoint.sh")


@pytest.fixture(scope="module")
def role_env(service_env, workdir):
    """The stack's environment with a Redis of its own, so these workers never take the shared stack's tasks."""
    proc, url, _port = services.start_redis(workdir)
    backups = workdir / "entrypoint-backups"
    env = dict(service_env, REDIS_URL=url, MONGO_DB="auction_entrypoint", BACKUP_DIR=str(backups),
               PATH=f"{services.VENV_BIN}{os.pathsep}{os.environ['PATH']}", TMPDIR=str(workdir),
               BEAT_SCHEDULE_FILE=str(workdir / "entrypoint-beat-schedule"))
    yield env
    services.stop_process(proc)


def run_role(env, *args, timeout=60):
    return subprocess.run([ENTRYPOINT, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def start_role(env, workdir, role, *args):
    log = workdir / f"entrypoint-{role}.log"
    return services.spawn([ENTRYPOINT, role, *args], log, env), log


def wait_until(predicate, what, timeout=45.0, proc=None, log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: process exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} within {timeout}s" + (f":\n{log.read_text()[-3000:]}" if log else ""))


def test_an_unknown_or_missing_role_exits_non_zero_with_usage(role_env):
    for args in (("nonsense",), ()):
        result = run_role(role_env, *args)
        assert result.returncode == 64
        assert "usage: auction-entrypoint ROLE" in result.stderr
        for role in ("web", "worker", "worker-timers", "beat", "migrate", "backup", "restore"):
            assert f"  {role}" in result.stderr
    assert "unknown role: nonsense" in run_role(role_env, "nonsense").stderr


def test_web_role_answers_health_and_logs_json_with_the_request_id(role_env, workdir):
    port = services.free_port()
    env = dict(role_env, PORT=str(port), WEB_BIND="127.0.0.1", WEB_CONNECTIONS="1234")
    proc, log = start_role(env, workdir, "web")
    try:
        base = f"http://127.0.0.1:{port}"

        def answers():
            try:
                return requests.get(base + "/health", timeout=1).ok
            except requests.RequestException:
                return False

        wait_until(answers, "web role answering /health", proc=proc, log=log)
        argv = Path(f"/proc/{proc.pid}/cmdline").read_text().split("\0")
        assert argv[argv.index("--worker-connections") + 1] == "1334", \
            "gunicorn accepts WEB_CONNECTIONS + 100, so the app itself answers the first one over with 'server full'"
        reply = requests.get(base + "/no-such-page", headers={"X-Request-ID": "req-from-proxy-42"}, timeout=5)
        assert reply.status_code == 404
        assert reply.headers["X-Request-ID"] == "req-from-proxy-42"
        wait_until(lambda: "req-from-proxy-42" in log.read_text(), "access line in the log", log=log)
    finally:
        services.stop_process(proc)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    access = [entry for entry in lines if entry.get("request_id") == "req-from-proxy-42"]
    assert access and access[0]["status"] == 404 and access[0]["logger"] == "auction_app.access"
    assert any("Booting worker" in entry["message"] for entry in lines), "gunicorn's own lines are JSON too"
    assert any("Listening at" in entry["message"] for entry in lines), "gunicorn says where it listens"
    assert "MonkeyPatchWarning" not in log.read_text(), "gevent patches before pymongo/redis/ssl are imported"


def test_web_role_tells_gunicorn_the_configured_connections(role_env):
    script = Path(ENTRYPOINT).read_text()
    assert '--worker-connections "$((connections + 100))"' in script
    assert 'connections="${WEB_CONNECTIONS:-5000}"' in script
    assert config.load("testing", env={}).WEB_CONNECTIONS == 5000, "the setting and the script agree on the default"


def _ping_names(env):
    from celery import Celery

    probe = Celery(broker=env["REDIS_URL"], set_as_current=False)  # never the tasks' app
    try:
        return [name for reply in probe.control.ping(timeout=1.0) or [] for name in reply]
    finally:
        probe.close()


def _inspect(env, node):
    from celery import Celery

    probe = Celery(broker=env["REDIS_URL"], set_as_current=False)  # never the tasks' app
    try:
        inspector = probe.control.inspect(destination=[node], timeout=2.0)
        return inspector.active_queues()[node], inspector.stats()[node]
    finally:
        probe.close()


@pytest.mark.parametrize("role,prefix,queues,pool", [
    ("worker", "general@", {"clock", "default", "email", "maintenance"}, "prefork"),
    ("worker-timers", "timers@", {"timers", "clock"}, "threads"),
])
def test_worker_roles_start_and_serve_their_queues(role_env, workdir, role, prefix, queues, pool):
    metrics_port = services.free_port()
    env = dict(role_env, WORKER_METRICS_PORT=str(metrics_port))
    proc, log = start_role(env, workdir, role)
    try:
        wait_until(lambda: any(n.startswith(prefix) for n in _ping_names(env)), f"{role} answering a ping",
                   proc=proc, log=log, timeout=60)
        node = next(n for n in _ping_names(env) if n.startswith(prefix))
        active, stats = _inspect(env, node)
        wait_until(lambda: requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=1).ok,
                   "worker metrics served", log=log)
        metrics_text = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=2).text
    finally:
        services.stop_process(proc)
    assert {q["name"] for q in active} == queues
    implementation = stats["pool"]["implementation"]
    assert ("prefork" if pool == "prefork" else "thread") in implementation, implementation
    assert "process_open_sockets" in metrics_text
    # Celery prints one plain "worker: Warm shutdown" notice itself when stopped; everything else is JSON.
    lines = [line for line in log.read_text().splitlines() if line.strip() and not line.startswith("worker: ")]
    assert lines and all(line.startswith("{") for line in lines), "every line the worker writes is JSON"


def test_beat_role_starts_and_schedules_the_clock_sweep(role_env, workdir):
    proc, log = start_role(role_env, workdir, "beat")
    broker = redis_lib.Redis.from_url(role_env["REDIS_URL"])
    try:
        # Nobody consumes this Redis, so the sweep tasks beat sends pile up in their queue.
        wait_until(lambda: sum(broker.llen(q) for q in ("clock", "timers", "default")) >= 2, "beat sending the sweep",
                   proc=proc, log=log)
    finally:
        services.stop_process(proc)
        broker.close()
    assert "beat: Starting" in log.read_text()


def test_migrate_backup_and_restore_roles(role_env, db):
    migrated = run_role(role_env, "migrate", timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    assert "indexes in place" in migrated.stdout and "Loaded" in migrated.stdout
    target = db.client[role_env["MONGO_DB"]]
    assert target.sports.count_documents({}) >= 1

    backed_up = run_role(role_env, "backup", timeout=120)
    assert backed_up.returncode == 0, backed_up.stderr
    path = Path(backed_up.stdout.strip().splitlines()[-1])
    assert path.is_file() and path.parent == Path(role_env["BACKUP_DIR"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600, "only the service can read a backup"

    target.sports.delete_many({})
    assert run_role(role_env, "restore").returncode == 64, "restore without a file says what it needs"
    restored = run_role(role_env, "restore", str(path), "--yes", timeout=120)
    assert restored.returncode == 0, restored.stderr
    assert "auction_entrypoint" in restored.stdout, "restore names the database it replaced"
    assert target.sports.count_documents({}) >= 1
    db.client.drop_database(role_env["MONGO_DB"])


def test_wheel_from_a_clean_clone_has_the_entry_modules_and_vendored_assets(tmp_path):
    clone = tmp_path / "clone"
    clone.mkdir()
    tracked = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split("\n")
    for name in filter(None, tracked):
        source = ROOT / name
        if source.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    assert not (clone / "auction_app/static/vendor").exists(), "a clean clone has no vendored copy"
    # Same package-lock.json as `npm ci` would install; linked rather than downloaded again.
    (clone / "node_modules").symlink_to(ROOT / "node_modules")
    built = subprocess.run([str(services.VENV_BIN / "python"), "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                            str(tmp_path / "dist"), str(clone)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = next((tmp_path / "dist").glob("club_auction-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("wsgi.py", "celery_worker.py", "gunicorn_logging.py", "auction_app/static/vendor/socket.io.min.js",
                     "auction_app/templates/base.html", "auction_app/static/js/auction-room.js",
                     "auction_app/catalog/data/premier-league.json", "workers/timers.py", "config/__init__.py"):
        assert required in names, f"{required} missing from the wheel"
    assert not any(n.startswith("tests/") for n in names), "tests are not shipped"

    (clone / "node_modules").unlink()
    shutil.rmtree(clone / "auction_app/static/vendor")
    shutil.rmtree(clone / "build", ignore_errors=True)
    without = subprocess.run([str(services.VENV_BIN / "python"), "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                              str(tmp_path / "dist2"), str(clone)], capture_output=True, text=True, timeout=300)
    assert without.returncode != 0, "no wheel without the browser assets"
    assert "run `npm ci`" in without.stdout + without.stderr


def test_dockerfile_passes_hadolint_and_keeps_its_promises():
    linted = subprocess.run([str(services.VENV_BIN / "hadolint"), "--no-color", str(ROOT / "Dockerfile")],
                            capture_output=True, text=True)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    text = (ROOT / "Dockerfile").read_text()
    final = text[text.rindex("\nFROM "):]
    assert "slim" in final.splitlines()[1]
    assert "USER 10001" in final, "the runtime runs as a non-root user"
    for compiler in ("gcc", "build-essential", "npm "):
        assert compiler not in final, f"{compiler} in the final stage"
    assert 'ENTRYPOINT ["auction-entrypoint"]' in final
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and "node_modules" in ignored and ".git" in ignored
