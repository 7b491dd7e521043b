"""Logs an operator can search: JSON lines with request ids from web and workers,
nothing secret in them, and an idle stack that stays quiet."""
from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import requests

from auction_app.services import auction_engine as engine
from tests.integration.test_auth_signin import mail_for
from tests.support.factories import bearer, make_league


def json_lines(path, start: int = 0) -> list[dict]:
    lines = path.read_text(errors="replace").splitlines()[start:]
    return [json.loads(line) for line in lines if line.startswith("{")]


def line_count(path) -> int:
    return len(path.read_text(errors="replace").splitlines()) if path.exists() else 0


def wait_for_line(path, predicate, start=0, timeout=15.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in json_lines(path, start):
            if predicate(entry):
                return entry
        time.sleep(0.2)
    raise AssertionError(f"no matching log line in {path.name}:\n" + path.read_text()[-2000:])


def web_log(workdir, web):
    return workdir / f"web-{urlsplit(web).port}.log"


def test_request_id_is_taken_or_made_echoed_and_logged_with_user_and_auction(app, db, web, workdir):
    league, users = make_league(db, members=2)
    auction, _ = engine.start(db, league, users[0]["_id"], datetime.now(timezone.utc))
    log = web_log(workdir, web)
    start = line_count(log)

    given = "proxy-" + uuid.uuid4().hex
    reply = requests.get(f"{web}/api/auctions/{auction['_id']}", headers={**bearer(app, users[1]),
                                                                         "X-Request-ID": given}, timeout=10)
    assert reply.status_code == 200
    assert reply.headers["X-Request-ID"] == given
    entry = wait_for_line(log, lambda e: e.get("request_id") == given, start)
    assert entry["logger"] == "auction_app.access" and entry["status"] == 200 and entry["level"] == "INFO"
    assert entry["user_id"] == users[1]["_id"]
    assert entry["auction_id"] == auction["_id"]
    assert datetime.fromisoformat(entry["time"]).tzinfo is not None

    made = requests.get(f"{web}/api/auctions/{auction['_id']}", headers={"X-Request-ID": "bad id with spaces"},
                        timeout=10)
    assert made.headers["X-Request-ID"] != "bad id with spaces" and len(made.headers["X-Request-ID"]) == 32
    wait_for_line(log, lambda e: e.get("request_id") == made.headers["X-Request-ID"], start)


def test_probes_are_not_access_logged(web, workdir):
    log = web_log(workdir, web)
    start = line_count(log)
    for _ in range(5):
        requests.get(web + "/health", timeout=5)
    marker = "marker-" + uuid.uuid4().hex
    requests.get(web + "/no-such-page", headers={"X-Request-ID": marker}, timeout=5)
    wait_for_line(log, lambda e: e.get("request_id") == marker, start)
    assert not [e for e in json_lines(log, start) if e.get("path") == "/health"]


def test_worker_logs_are_json_and_never_hold_sign_in_links_codes_or_addresses(web, worker, mail_capture, workdir):
    email = f"logcheck-{uuid.uuid4().hex[:8]}@example.com"
    log = workdir / "worker-generalg1.log"
    start = line_count(log)
    sent = requests.post(web + "/api/auth/request-link", json={"email": email}, timeout=10)
    assert sent.status_code == 202
    _mail, link, code = mail_for(mail_capture, email)
    token = parse_qs(urlsplit(link).query)["token"][0]
    entry = wait_for_line(log, lambda e: e.get("task") == "workers.email.send_email" and "mail sent" in e["message"],
                          start)
    assert entry["task_id"]
    text = log.read_text()
    assert token not in text
    assert code not in text and f"{code[:3]} {code[3:]}" not in text
    assert email not in text
    for line in text.splitlines()[start:]:
        if line.strip():
            assert line.startswith("{"), f"not a JSON line: {line[:200]}"


def test_an_idle_stack_writes_only_a_few_lines_a_minute(service_env, workdir):
    """A stack of its own (the image's worker, worker-timers and beat roles on a fresh Redis and
    database), so no other test's auctions are running: nothing happens but the 1-second sweep."""
    from celery import Celery

    from tests.support import services

    redis_proc, redis_url, _ = services.start_redis(workdir)
    env = dict(service_env, REDIS_URL=redis_url, MONGO_DB="idle_stack", TMPDIR=str(workdir),
               BEAT_SCHEDULE_FILE=str(workdir / "idle-beat-schedule"),
               PATH=f"{services.VENV_BIN}:{service_env.get('PATH', '')}")
    entrypoint = str(services.ROOT / "docker" / "entrypoint.sh")
    logs = [workdir / f"idle-{role}.log" for role in ("worker", "worker-timers", "beat")]
    procs = [services.spawn([entrypoint, role], log, env)
             for role, log in zip(("worker", "worker-timers", "beat"), logs)]
    probe = Celery(broker=redis_url, set_as_current=False)

    def sweeps_done() -> int:
        stats = probe.control.inspect(timeout=2).stats() or {}
        return sum(s.get("total", {}).get("workers.timers.sweep_auctions", 0) for s in stats.values())

    try:
        deadline = time.monotonic() + 60
        while sweeps_done() < 3:  # both workers up and beat sending the sweep
            assert time.monotonic() < deadline, "\n".join(p.read_text()[-1500:] for p in logs)
            time.sleep(1)
        before = [line_count(p) for p in logs]
        swept_before = sweeps_done()
        window = 30
        time.sleep(window)
        written = sum(line_count(p) - b for p, b in zip(logs, before))
        swept = sweeps_done() - swept_before
        new_lines = [line for p, b in zip(logs, before) for line in p.read_text().splitlines()[b:]]
    finally:
        for proc in procs:
            services.stop_process(proc)
        services.stop_process(redis_proc)
        probe.close()
    print(f"idle stack: {written} log lines in {window}s ({written * 60 / window:.0f}/min) "
          f"while the sweep ran {swept} times")
    assert swept >= window // 3, "the 1-second sweep really ran during the window"
    assert written <= 5, "\n".join(new_lines[:10])
