"""The auction room end to end: real gunicorn+gevent web processes, real Celery
workers and beat, python-socketio clients over real sockets."""
from __future__ import annotations

import csv
import io
import random
import threading
import time
from datetime import datetime, timezone

import pytest
import requests

from auction_app.effects import carry_out
from auction_app.repositories import auctions, bids, proxies
from auction_app.services import auction_engine as engine
from tests.support import services
from tests.support.auction_clients import RoomClient
from tests.support.factories import make_league, session_token

pytestmark = pytest.mark.slow


def now():
    return datetime.now(timezone.utc)


def tokens_for(app, users):
    return [session_token(app, u) for u in users]


def start(app, db, league, users):
    with app.app_context():
        auction, effects = engine.start(db, league, users[0]["_id"], now())
        carry_out(effects)
    return auction


def room(web, tokens, auction_id):
    clients = [RoomClient(web, token=t, name=f"c{i}").connect() for i, t in enumerate(tokens)]
    for c in clients:
        c.join(auction_id)
    return clients


def test_twenty_clients_racing_on_one_lot_keep_every_invariant(app, db, web, worker, beat, service_env, workdir):
    league, users = make_league(db, members=20, budget=100000, roster_slots=1, lot_seconds=60,
                                bid_clock_seconds=5)
    auction = start(app, db, league, users)
    # Half the clients talk to a second web process, so bids race in the database too.
    port = services.free_port()
    env = dict(service_env, SOCKETIO_ALLOWED_ORIGINS=f"{web},http://127.0.0.1:{port}")
    second_proc, second_web = services.start_web(env, workdir, name="web-race", port=port)
    tokens = tokens_for(app, users)
    clients = room(web, tokens[:10], auction["_id"]) + room(second_web, tokens[10:], auction["_id"])
    acked: list[tuple[str, dict]] = []
    refused: dict[str, int] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + 4

    def race(client, user):
        while time.monotonic() < stop_at:
            price = client.snapshot["lot"]["price"] or 0
            seen = [p["bid"]["amount"] for p in client.received("bid_accepted")]
            price = max([price] + seen)
            # People jump by different amounts; a bid below the new price is refused, never lost.
            ack = client.bid(price + random.randint(1, 4), lot_id=client.snapshot["lot"]["id"])
            if ack["ok"]:
                with lock:
                    acked.append((user["_id"], ack["bid"]))
            else:
                with lock:
                    refused[ack["error"]["code"]] = refused.get(ack["error"]["code"], 0) + 1
                assert ack["error"]["code"] in ("below_minimum", "outbid", "already_leading", "rate_limited"), ack

    threads = [threading.Thread(target=race, args=(c, u)) for c, u in zip(clients, users)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    time.sleep(0.5)
    for c in clients:
        c.disconnect()
    services.stop_process(second_proc)

    log = bids.log(db, auction["_id"])
    assert len(acked) > 30, f"only {len(acked)} bids accepted; refused {refused}"
    by_seq = {b["seq"]: b for b in log}
    for user_id, ack in acked:  # every acknowledged bid is in the log exactly as acknowledged
        stored = by_seq[ack["seq"]]
        assert (stored["user_id"], stored["amount"]) == (user_id, ack["amount"])
    seqs = [b["seq"] for b in log]
    assert seqs == sorted(set(seqs))
    amounts = [b["amount"] for b in log]
    assert all(b >= a + 1 for a, b in zip(amounts, amounts[1:]))
    assert auctions.get(db, auction["_id"])["lot"]["price"] == amounts[-1]
    # Every client saw the same final price through broadcasts.
    last = max(amounts)
    assert all(max(p["bid"]["amount"] for p in c.received("bid_accepted")) == last for c in clients)


def test_killed_timer_worker_costs_seconds_not_an_hour(app, db, web, worker, beat):
    league, users = make_league(db, members=2, lot_seconds=3, bid_clock_seconds=1, pause_between_lots_seconds=1)
    auction = start(app, db, league, users)  # the timers worker now holds the lot's close trigger
    time.sleep(1.0)
    worker["timers"].kill()
    try:
        ends_at = auctions.get(db, auction["_id"])["lot"]["ends_at"]
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            current = auctions.get(db, auction["_id"])
            if current["lots"][league["lot_order"][0]]["status"] != "open":
                break
            time.sleep(0.05)
        closed_after = now() - ends_at
        assert current["lots"][league["lot_order"][0]]["status"] == "unsold"
        assert closed_after.total_seconds() < 3, f"closed {closed_after} after ends_at"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and auctions.get(db, auction["_id"])["lot"]["team_key"] == league["lot_order"][0]:
            time.sleep(0.1)
        assert auctions.get(db, auction["_id"])["lot"]["team_key"] == league["lot_order"][1], "the next lot opened"
    finally:
        worker["timers"].start()
        with app.app_context():
            engine.end_early(db, auction["_id"], users[0]["_id"], now())


def test_an_event_from_one_web_process_reaches_a_client_of_another(app, db, web, worker, service_env, workdir):
    league, users = make_league(db, members=2, lot_seconds=60)
    auction = start(app, db, league, users)
    # Both processes stand behind one public address in production; here each has its own port.
    port = services.free_port()
    env = dict(service_env, SOCKETIO_ALLOWED_ORIGINS=f"{web},http://127.0.0.1:{port}")
    proc, other_web = services.start_web(env, workdir, name="web-second", port=port)
    try:
        tokens = tokens_for(app, users)
        bidder = room(web, tokens[:1], auction["_id"])[0]
        watcher = room(other_web, tokens[1:], auction["_id"])[0]
        ack = bidder.bid(7, lot_id=bidder.snapshot["lot"]["id"])
        assert ack["ok"]
        seen = watcher.wait_for("bid_accepted", lambda p: p["bid"]["seq"] == ack["bid"]["seq"], timeout=10)
        assert seen["bid"]["amount"] == 7 and seen["bidder_name"] == users[0]["display_name"]
        bidder.disconnect()
        watcher.disconnect()
    finally:
        services.stop_process(proc)
        with app.app_context():
            engine.end_early(db, auction["_id"], users[0]["_id"], now())


def test_a_full_auction_of_a_whole_catalog(app, db, web, worker, beat, mail_capture, catalogs):
    ipl = catalogs["ipl"]
    teams = [t.key for t in ipl.teams]
    league, users = make_league(db, members=4, teams=teams, budget=100, roster_slots=2, lot_seconds=2,
                                bid_clock_seconds=1, pause_between_lots_seconds=1, grace_ms=300)
    db.leagues.update_one({"_id": league["_id"]}, {"$set": {"sport_key": "ipl"}})
    # Member 4 is absent: a hidden maximum bids for them on the second team.
    proxies.set_max(db, league["_id"], users[3]["_id"], teams[1], 30, now())
    auction = start(app, db, league, users)
    tokens = tokens_for(app, users)
    clients = room(web, tokens[:3], auction["_id"])
    commish = clients[0]
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {tokens[0]}"
    api = f"{web}/api/auctions/{auction['_id']}"
    mail_start = len(mail_capture.messages)

    def current_lot():
        return auctions.get(db, auction["_id"])["lot"]

    def wait_lot(team_key):
        commish.wait_for("lot_opened", lambda p: p["lot"]["team_key"] == team_key, timeout=20)
        return current_lot()

    # Lot 1: members 1 and 2 bid; the commissioner pauses and resumes mid-lot.
    lot = current_lot()
    assert clients[0].bid(5, lot_id=lot["id"])["ok"]
    assert http.post(f"{api}/pause").status_code == 200
    paused = clients[1].bid(6, lot_id=lot["id"])
    assert not paused["ok"] and paused["error"]["code"] == "lot_paused"
    time.sleep(2.5)  # longer than the lot clock: a paused lot must not close
    assert current_lot()["status"] == "open"
    assert http.post(f"{api}/resume").status_code == 200
    assert clients[1].bid(6, lot_id=lot["id"])["ok"]
    commish.wait_for("lot_sold", lambda p: p["team_key"] == teams[0])

    # Lot 2: the absent member's proxy (max 30) beats member 1 (who stops at 20).
    lot = wait_lot(teams[1])
    price = lot["price"] or 0
    amount = price + 1
    while amount <= 20:
        ack = clients[0].bid(amount, lot_id=lot["id"])
        assert ack["ok"], ack
        amount = current_lot()["price"] + 1
    sold = commish.wait_for("lot_sold", lambda p: p["team_key"] == teams[1])
    assert sold["winner_id"] == users[3]["_id"] and sold["price"] == 21

    # Undo the proxy's win: it is refunded and the team comes up again next.
    assert http.post(f"{api}/undo").status_code == 200
    undone = commish.wait_for("sale_undone")
    assert undone["team_key"] == teams[1] and undone["price"] == 21
    wait_lot(teams[1])

    # A client drops and reconnects: the snapshot brings it back in sync.
    clients[2].disconnect()
    late = RoomClient(web, token=tokens[2], name="rejoined").connect()
    snap = late.join(auction["_id"])
    assert snap["lot"]["team_key"] == teams[1]
    assert snap["seq"] == auctions.get(db, auction["_id"])["seq"]
    clients[2] = late

    # From here on, members take turns winning lots until every roster is full;
    # lots nobody can bid on go unsold, are offered once more, then pass.
    handled: set[str] = set()
    turn = 0
    deadline = time.monotonic() + 120
    while auctions.get(db, auction["_id"])["status"] != "completed":
        assert time.monotonic() < deadline, "the auction should have finished"
        lot = auctions.get(db, auction["_id"])["lot"]
        if lot and lot["status"] == "open" and lot["id"] not in handled:
            handled.add(lot["id"])
            for i in range(3):
                c = clients[(turn + i) % 3]
                me = c.sync()["me"]
                if me["slots_left"] > 0 and lot["leader_id"] is None:
                    assert c.bid(1, lot_id=lot["id"])["ok"]
                    break
            turn += 1
        time.sleep(0.1)

    final = auctions.get(db, auction["_id"])
    assert final["completed_reason"] in ("rosters_full", "no_lots_left")
    results = http.get(f"{api}/results").json()
    log = bids.log(db, auction["_id"])
    for member in results["members"]:
        assert member["spent"] + member["remaining"] == 100
        assert len(member["roster"]) <= 2
    # Each sold team went to the last bidder on it at that price (the bid log explains the result).
    for member in results["members"]:
        for item in member["roster"]:
            last = [b for b in log if b["team_key"] == item["team_key"]][-1]
            assert (last["user_id"], last["amount"]) == (member["user_id"], item["price"])
    rows = list(csv.DictReader(io.StringIO(http.get(f"{api}/bids.csv").text)))
    assert [int(r["seq"]) for r in rows] == [b["seq"] for b in log]
    assert [int(r["amount"]) for r in rows] == [b["amount"] for b in log]
    results_csv = list(csv.DictReader(io.StringIO(http.get(f"{api}/results.csv").text)))
    assert sum(1 for r in results_csv if r["member"] != "(unsold)") == sum(len(m["roster"]) for m in results["members"])
    for user in users:
        mail = mail_capture.wait_for(user["email"], subject_contains="Auction results", after=mail_start, timeout=20)
        for member in results["members"]:
            for item in member["roster"]:
                assert item["team_name"] in mail.text
    for c in clients:
        c.disconnect()


def test_every_client_of_a_busy_auction_with_proxies_gets_events_in_sequence_order(app, db, web, worker):
    league, users = make_league(db, members=6, budget=5000, roster_slots=1, lot_seconds=120)
    for user, cap in zip(users[4:], (900, 950)):  # two absent members answer every manual bid
        proxies.set_max(db, league["_id"], user["_id"], league["lot_order"][0], cap, now())
    auction = start(app, db, league, users)
    clients = room(web, tokens_for(app, users[:4]), auction["_id"])
    lot_id = clients[0].snapshot["lot"]["id"]

    def bidder(client):
        for _ in range(12):
            price = auctions.get(db, auction["_id"])["lot"]["price"] or 0
            client.bid(price + 1, lot_id=lot_id)

    threads = [threading.Thread(target=bidder, args=(c,)) for c in clients]
    [t.start() for t in threads]
    [t.join(60) for t in threads]
    final_seq = auctions.get(db, auction["_id"])["seq"]
    for c in clients:
        c.wait_for("bid_accepted", lambda p: p["seq"] == final_seq, timeout=10)
        seqs = [p["seq"] for name, p in c.events if name == "bid_accepted"]
        assert seqs == sorted(seqs), f"{c.name} saw events out of order"
        assert c.late == 0
    by_proxy = [p for p in clients[0].received("bid_accepted") if p["bid"]["user_id"] in (users[4]["_id"], users[5]["_id"])]
    assert by_proxy, "hidden maximums answered the manual bids"
    assert all("source" not in p["bid"] for p in clients[0].received("bid_accepted")), "nobody learns who has a maximum"
    with app.app_context():
        engine.end_early(db, auction["_id"], users[0]["_id"], now())
    for c in clients:
        c.disconnect()
