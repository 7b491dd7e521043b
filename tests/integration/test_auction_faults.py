"""Crashes and outages while an auction runs, on a stack of its own.

The stack here (nx-27017, redis-server, gunicorn+gevent, two Celery workers, beat)
is separate from the session's, so these tests may kill any part of it. Each test
runs an auction with several members to its end and checks that every lot closed
about on time and that the auction agrees with its log.
"""
from __future__ import annotations

import signal
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests

from auction_app.db import connect, create_indexes
from auction_app.domain.auction_replay import differences, replay
from auction_app.domain.auction_rules import AuctionSettings
from auction_app.repositories import auctions, bids, leagues
from auction_app.services import auction_engine as engine
from tests.support import services
from tests.integration.test_auth_signin import mail_for
from tests.support.factories import make_league

DB_NAME = "auction_faults"


class Stack:
    """Every process of the product, each one restartable where its clients expect it."""

    def __init__(self, base_env: dict, workdir):
        self.workdir = workdir
        self.mongo, self.mongo_url = services.start_mongo(workdir)
        self.mongo_port = int(self.mongo_url.split(":")[2].split("/")[0])
        self.redis, self.redis_url, self.redis_port = services.start_redis(workdir)
        self.web_port = services.free_port()
        self.env = dict(base_env, MONGO_URL=self.mongo_url, MONGO_DB=DB_NAME, REDIS_URL=self.redis_url,
                        PUBLIC_BASE_URL=f"http://127.0.0.1:{self.web_port}")
        self.db = connect(self.mongo_url, 5000)[DB_NAME]
        create_indexes(self.db)
        self.web, self.base = services.start_web(self.env, workdir, name="faults-web", port=self.web_port)
        self.general = services.start_worker(self.env, workdir, name="faults-general",
                                             queues="clock,default,email,maintenance")
        self.timers = services.start_worker(self.env, workdir, name="faults-timers", queues="timers,clock")
        self.beat = services.start_beat(self.env, workdir)

    def sign_in(self, email: str, mail_capture) -> str:
        """A bearer token for `email`, through this stack's real sign-in (link email, 6-digit code)."""
        asked = requests.post(f"{self.base}/api/auth/request-link", json={"email": email}, timeout=10)
        assert asked.status_code == 202, asked.text
        _mail, _link, code = mail_for(mail_capture, email)
        answer = requests.post(f"{self.base}/api/auth/code", json={"email": email, "code": code}, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()["token"]

    def restart_redis(self, down_seconds: float) -> None:
        services.stop_process(self.redis, sig=signal.SIGKILL)
        time.sleep(down_seconds)
        self.redis, _, _ = services.start_redis(self.workdir, port=self.redis_port)

    def restart_mongo(self, down_seconds: float) -> None:
        services.stop_process(self.mongo, sig=signal.SIGKILL)
        time.sleep(down_seconds)
        self.mongo, _ = services.start_mongo(self.workdir, port=self.mongo_port)

    def kill_and_restart_web_and_beat(self) -> None:
        services.stop_process(self.web, sig=signal.SIGKILL)
        services.stop_process(self.beat, sig=signal.SIGKILL)
        self.beat = services.start_beat(self.env, self.workdir)
        self.web, _ = services.start_web(self.env, self.workdir, name="faults-web", port=self.web_port)

    def assert_all_alive(self) -> None:
        """Every process reconnected by itself; none of them died on the way."""
        for proc in (self.web, self.general, self.timers, self.beat):
            assert proc.poll() is None, f"{proc.args[:4]} exited with {proc.returncode}:\n{services.log_tail(proc)}"

    def stop(self) -> None:
        for proc in (self.beat, self.timers, self.general, self.web, self.redis, self.mongo):
            services.stop_process(proc)


@pytest.fixture(scope="module")
def stack(service_env, tmp_path_factory):
    running = Stack(service_env, tmp_path_factory.mktemp("faults"))
    yield running
    running.stop()


def run_auction(stack, mail_capture, fault, *, teams=4, at_lot=1):
    """An auction where each lot gets a bid from the next member; `fault()` strikes mid-lot `at_lot`."""
    db = stack.db
    league, users = make_league(db, members=4, teams=[f"team-{i}" for i in range(teams)], roster_slots=1,
                                lot_seconds=3, bid_clock_seconds=1, pause_between_lots_seconds=1, grace_ms=300)
    token = stack.sign_in(users[0]["email"], mail_capture)
    answer = requests.post(f"{stack.base}/api/leagues/{league['_id']}/auction/start",
                           headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == 201, answer.text
    auction_id = answer.json()["auction_id"]
    handled, deadline = set(), time.monotonic() + 90
    while True:
        assert time.monotonic() < deadline, f"the auction never finished: {auctions.get(db, auction_id)['lot']}"
        try:
            current = auctions.get(db, auction_id)
        except Exception:  # the database itself may be the part that is down
            time.sleep(0.2)
            continue
        if current["status"] == "completed":
            break
        lot = current.get("lot") or {}
        if lot.get("status") == "open" and lot["id"] not in handled:
            handled.add(lot["id"])
            bidder = users[len(handled) % len(users)]
            engine.place_bid(db, auction_id, bidder["_id"], 2, engine.new_idempotency_key(),
                             datetime.now(timezone.utc), lot_id=lot["id"])
            if len(handled) == at_lot:
                time.sleep(1.0)
                fault()
        time.sleep(0.05)
    return check_finished(db, auction_id, league)


def check_finished(db, auction_id, league) -> dict:
    final = auctions.get(db, auction_id)
    records = bids.log(db, auction_id) + bids.auction_log(db, auction_id)
    replayed = replay(records, settings=AuctionSettings(**final["settings"]), member_ids=final["member_order"],
                      lot_order=final["lot_order"])
    assert differences(replayed, final) == []
    closes = [r for r in records if r["kind"] == "lot_closed"]
    assert closes, "lots closed by the clock"
    lags = [(r["at"] - r["ends_at"]).total_seconds() for r in closes]
    print(f"close lag after ends_at, s: {', '.join(f'{lag:.2f}' for lag in lags)}")  # figures, shown with -s
    # About a second after each lot's time (the sweep runs every second; grace is 0.3 s). A fault
    # may cost the lot it hits a few seconds more, never the rest of the auction.
    assert all(lag < 2.5 for lag in sorted(lags)[:-1]), lags
    assert max(lags) < 8, lags
    deadline = time.monotonic() + 10
    while leagues.get(db, league["_id"])["status"] != "completed":
        assert time.monotonic() < deadline, "the league was marked completed"
        time.sleep(0.2)
    return final


def test_a_redis_restart_mid_lot_does_not_stop_the_auction(stack, mail_capture):
    final = run_auction(stack, mail_capture, lambda: stack.restart_redis(down_seconds=2))
    assert final["completed_reason"] in ("rosters_full", "no_lots_left")
    stack.assert_all_alive()


def test_a_database_restart_mid_lot_does_not_stop_the_auction(stack, mail_capture):
    final = run_auction(stack, mail_capture, lambda: stack.restart_mongo(down_seconds=2))
    assert final["completed_reason"] in ("rosters_full", "no_lots_left")
    stack.assert_all_alive()


def test_killing_the_web_process_and_beat_mid_lot_does_not_stop_the_auction(stack, mail_capture):
    final = run_auction(stack, mail_capture, stack.kill_and_restart_web_and_beat)
    assert final["completed_reason"] in ("rosters_full", "no_lots_left")


def test_follow_ups_cut_short_by_a_crash_are_finished_once(stack, mail_capture):
    """The process that wrote the completion died before doing anything else: the league is
    still running, nothing is audited, nobody has results. The sweep finishes it, once."""
    db = stack.db
    league, users = make_league(db, members=3, lot_seconds=600)
    now = datetime.now(timezone.utc)
    auction, _ = engine.start(db, league, users[0]["_id"], now)       # no publish: nothing armed
    engine.end_early(db, auction["_id"], users[0]["_id"], now)         # the write, and then the crash
    deadline = time.monotonic() + 15
    while not all(mail_capture.to(u["email"]) for u in users):
        assert time.monotonic() < deadline, "every member got the results"
        time.sleep(0.2)
    assert leagues.get(db, league["_id"])["status"] == "completed"
    # Whatever runs again (the sweep, a redelivered task) sends nothing twice.
    engine.sweep(db, datetime.now(timezone.utc))
    db.auctions.update_one({"_id": auction["_id"]}, {"$set": {"outbox_pending": True}})  # as if never marked done
    time.sleep(4)
    for user in users:
        assert len([m for m in mail_capture.to(user["email"]) if "Auction results" in m.subject]) == 1
    audits = [a for a in db.audit.find({"league_id": league["_id"]}) if a["action"] == "auction_completed"]
    assert len(audits) == 1


def test_a_close_whose_process_died_before_arming_the_next_lot_still_moves_on(stack):
    """The lot closed (one write) and the process died before queueing the next lot's
    trigger: the sweep opens the next lot when its pause is over."""
    db = stack.db
    league, users = make_league(db, members=2, lot_seconds=2, pause_between_lots_seconds=1, grace_ms=0)
    now = datetime.now(timezone.utc)
    auction, _ = engine.start(db, league, users[0]["_id"], now)   # no publish: no trigger armed at all
    first = auction["lot"]
    engine.tick(db, auction["_id"], first["ends_at"] + timedelta(milliseconds=10))  # the close, then the crash
    closed = auctions.get(db, auction["_id"])
    assert closed["lot"]["status"] != "open"
    deadline = time.monotonic() + 10
    while auctions.get(db, auction["_id"])["lot"]["id"] == first["id"]:
        assert time.monotonic() < deadline, "the next lot opened"
        time.sleep(0.1)
    opened = auctions.get(db, auction["_id"])["lot"]
    late = (opened["opened_at"] - closed["next_lot_at"]).total_seconds()
    assert late < 2.5, f"the next lot opened {late:.1f} s after its time"
    engine.end_early(db, auction["_id"], users[0]["_id"], datetime.now(timezone.utc))
