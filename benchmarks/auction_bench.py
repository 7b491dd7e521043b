"""Auction throughput and latency benchmark (not a test: it prints figures).

Starts its own stack (nx-27017, redis-server, one gunicorn+gevent web process,
a Celery worker), creates N auctions with M members each, connects one
python-socketio client per member, and lets every client bid as fast as bids
are accepted for a fixed time: whenever a client is not leading it bids the
next minimum; after a refusal it waits for the next price broadcast (as a
person looks at the new price) rather than resending blindly. Prints accepted bids per second, refused bids by
reason, and bid-sent -> broadcast-received latency percentiles over all clients.

    .venv/bin/python benchmarks/auction_bench.py --auctions 20 --clients 10 --seconds 20
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

import socketio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import services  # noqa: E402
from tests.support.factories import make_league  # noqa: E402


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


class Member:
    def __init__(self, base, token, auction_id, user_id, stats, think_ms=0):
        self.base, self.token, self.auction_id, self.user_id, self.stats = base, token, auction_id, user_id, stats
        self.think = think_ms / 1000
        self.sio = socketio.AsyncClient(reconnection=False)
        self.price = 0
        self.leader = None
        self.lot_id = None
        self.sio.on("bid_accepted", self.on_bid)
        self.price_changed = asyncio.Event()

    async def on_bid(self, payload):
        bid = payload["bid"]
        self.stats["received"][(self.auction_id, bid["seq"])].append(time.perf_counter())
        if bid["amount"] > self.price:
            self.price, self.leader = bid["amount"], bid["user_id"]
            self.price_changed.set()

    async def connect(self):
        await self.sio.connect(self.base, auth={"token": self.token}, transports=["websocket"], wait_timeout=20)
        ack = await self.sio.call("join_auction", {"auction_id": self.auction_id}, timeout=20)
        snap = ack["snapshot"]
        self.lot_id = snap["lot"]["id"]
        self.price = snap["lot"]["price"] or 0

    async def run(self, until):
        while time.perf_counter() < until:
            if self.leader == self.user_id:
                self.price_changed.clear()  # leading: wait until someone outbids us
                try:
                    await asyncio.wait_for(self.price_changed.wait(), 0.25)
                except asyncio.TimeoutError:
                    pass
                continue
            if self.think:
                await asyncio.sleep(random.uniform(0, 2 * self.think))  # a person's reaction time
                if self.leader == self.user_id:
                    continue
            sent = time.perf_counter()
            ack = await self.sio.call("bid", {"auction_id": self.auction_id, "lot_id": self.lot_id,
                                              "amount": self.price + 1, "retry": False,
                                              "idempotency_key": secrets.token_urlsafe(12)}, timeout=30)
            if ack["ok"]:
                self.stats["sent"][(self.auction_id, ack["bid"]["seq"])] = sent
                self.stats["accepted"] += 1
                self.stats["ack_latency"].append(time.perf_counter() - sent)
                if ack["bid"]["amount"] >= self.price:
                    self.price, self.leader = ack["bid"]["amount"], self.user_id
            else:
                # Like a person: after "someone bid more", look at the new price before bidding again.
                self.stats["refused"][ack["error"]["code"]] += 1
                self.price_changed.clear()
                try:
                    await asyncio.wait_for(self.price_changed.wait(), 0.25)
                except asyncio.TimeoutError:
                    pass


async def drive(base, plan, seconds, think_ms):
    stats = {"sent": {}, "received": defaultdict(list), "accepted": 0, "refused": Counter(), "ack_latency": []}
    members = [Member(base, token, auction_id, user_id, stats, think_ms) for auction_id, user_id, token in plan]
    for i in range(0, len(members), 20):
        await asyncio.gather(*(m.connect() for m in members[i:i + 20]))
    started = time.perf_counter()
    await asyncio.gather(*(m.run(started + seconds) for m in members))
    elapsed = time.perf_counter() - started
    await asyncio.sleep(1.0)  # let the last broadcasts arrive
    await asyncio.gather(*(m.sio.disconnect() for m in members))
    return stats, elapsed


def server_decision_percentiles(base: str) -> dict[int, str]:
    """Upper bucket bounds of the server-side bid decision time, from the web process's /metrics."""
    import requests

    buckets, total = [], 0.0
    for line in requests.get(base + "/metrics", timeout=10).text.splitlines():
        if line.startswith("auction_bid_duration_seconds_bucket"):
            bound = line.split('le="')[1].split('"')[0]
            buckets.append((float("inf") if bound == "+Inf" else float(bound), float(line.rsplit(" ", 1)[1])))
        elif line.startswith("auction_bid_duration_seconds_count"):
            total = float(line.rsplit(" ", 1)[1])
    result = {}
    for p in (50, 95, 99):
        bound = next((b for b, count in buckets if count >= total * p / 100), float("inf"))
        result[p] = f"{bound * 1000:g} ms" if bound != float("inf") else "> 1 s"
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--auctions", type=int, default=20)
    parser.add_argument("--clients", type=int, default=10, help="members (clients) per auction")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--think-ms", type=float, default=0,
                        help="mean reaction time before each bid (0: bid the moment the price changes)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="auction-bench-"))
    procs = []
    try:
        mongo, mongo_url = services.start_mongo(workdir)
        redis_proc, redis_url, _ = services.start_redis(workdir)
        procs += [mongo, redis_proc]
        port = services.free_port()
        env = dict(os.environ, APP_ENV="testing", MONGO_URL=mongo_url, MONGO_DB="bench", REDIS_URL=redis_url,
                   PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", RATELIMIT_ENABLED="false")
        os.environ.update({k: env[k] for k in ("APP_ENV", "MONGO_URL", "MONGO_DB", "REDIS_URL", "PUBLIC_BASE_URL",
                                               "RATELIMIT_ENABLED")})
        from auction_app import create_app
        from auction_app.auth.guards import issue_session
        from auction_app.db import create_indexes
        from auction_app.effects import carry_out
        from auction_app.extensions import mongo as mongo_ext
        from auction_app.services import auction_engine

        app = create_app()
        web, base = services.start_web(env, workdir, port=port)
        worker = services.start_worker(env, workdir, name="bench", queues="timers,default,email,maintenance")
        procs += [web, worker]
        plan = []
        with app.test_request_context():
            db = mongo_ext.db
            create_indexes(db)
            now = datetime.now(timezone.utc)
            for _ in range(args.auctions):
                league, users = make_league(db, members=args.clients, budget=10**9, roster_slots=1,
                                            lot_seconds=600, bid_clock_seconds=10)
                auction, effects = auction_engine.start(db, league, users[0]["_id"], now)
                carry_out(effects)
                for user in users:
                    plan.append((auction["_id"], user["_id"], issue_session(user, "bench", "127.0.0.1")))
        print(f"{args.auctions} auctions x {args.clients} clients = {len(plan)} Socket.IO clients, "
              f"one web process (gunicorn -k gevent -w 1), {args.seconds:.0f} s of bidding, "
              f"reaction time {args.think_ms:.0f} ms")
        stats, elapsed = asyncio.run(drive(base, plan, args.seconds, args.think_ms))
        decide = server_decision_percentiles(base)
    finally:
        for proc in reversed(procs):
            services.stop_process(proc)

    latencies = [recv - stats["sent"][key] for key, times in stats["received"].items() if key in stats["sent"]
                 for recv in times]
    refused = sum(stats["refused"].values())
    print(f"accepted bids:        {stats['accepted']} ({stats['accepted'] / elapsed:.1f} per second)")
    print(f"refused bids:         {refused} " + (str(dict(stats["refused"].most_common())) if refused else ""))
    print(f"broadcasts received:  {len(latencies)}")
    for name, values in (("bid -> broadcast", latencies), ("bid -> ack", stats["ack_latency"])):
        ms = [v * 1000 for v in values]
        print(f"{name:<21} p50 {percentile(ms, 50):7.1f} ms   p95 {percentile(ms, 95):7.1f} ms   "
              f"p99 {percentile(ms, 99):7.1f} ms   max {max(ms) if ms else float('nan'):7.1f} ms")
    print("server time to decide a bid (auction_bid_duration_seconds): "
          + "   ".join(f"p{p} <= {ms}" for p, ms in decide.items()))
    if stats["received"]:
        print(f"mean fan-out per bid: {statistics.mean(len(v) for v in stats['received'].values()):.1f} clients")


if __name__ == "__main__":
    main()
