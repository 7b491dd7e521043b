"""Realtime load: the product against a bare python-socketio server, same rooms, same open-loop bids.

Starts the product as the tests do (nx-27017, redis-server, --web gunicorn -k gevent -w 1 web
processes, behind Debian's nginx with the ingress's cookie affinity when --web > 1, a Celery
worker for the timers + clock queues, a general one, and beat) and, in the same run, the bare
broadcast server of benchmarks/bare_server.py. Both get the same rooms x members, one
python-socketio AsyncClient (WebSocket) per member, and open-loop Poisson arrivals: an asyncio
scheduler fires bids at exponential inter-arrival times (--rate per second over all rooms),
never waiting for answers, each from a member who is not leading, at price + 1.

Latency is taken from a bid's send to its bid_accepted at EVERY client of the room. Prints
p50/p95/p99/max, accepted bids/s, deliveries expected vs received, connection errors, the web
processes' CPU seconds during the bidding and the product/bare ratio of p95s. With
--lot-seconds N lots are short (they close and the next opens during the run) and the lot close
lag (actual close - ends_at, from the auction_log `lot_closed` records) is printed too.

    .venv/bin/python benchmarks/realtime_load.py --rooms 30 --members 30 --rate 50 --seconds 30
    .venv/bin/python benchmarks/realtime_load.py --rooms 100 --members 50 --rate 50 --seconds 30
    .venv/bin/python benchmarks/realtime_load.py --rooms 200 --members 50 --rate 50 --seconds 30 --web 2
    .venv/bin/python benchmarks/realtime_load.py --rooms 30 --members 30 --rate 50 --seconds 40 --lot-seconds 5
    .venv/bin/python benchmarks/realtime_load.py --rooms 30 --members 30 --rate 50 --seconds 30 --bare-db --only bare
    .venv/bin/python benchmarks/realtime_load.py --rooms 30 --members 30 --rate 50 --seconds 30 --with-floor

--with-floor also measures, in the same run, the bare server storing each bid first (the floor for a
bid stored before it is announced) and prints the product's p95 against it. --pin gives the web
processes CPUs of their own, the rest of the machine to everything else. --rounds N measures every
server N times, taking turns, and prints the median of the rounds' ratios. --deflate makes the
clients offer WebSocket compression as browsers do; the web processes' memory is printed either way.

The load generator's own garbage collector is off while bids are measured (docs/performance.md).

--pause-for-profile S prints the web process ids when the product's bidding starts, so
`py-spy record -p PID -d 20 -f raw` can attach (see docs/performance.md).
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import math
import os
import random
import resource
import secrets
import statistics
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

import socketio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import services  # noqa: E402
from tests.support.factories import make_league  # noqa: E402
from tests.support.nginx import start_nginx  # noqa: E402
from benchmarks.auction_bench import percentile  # noqa: E402  (one definition for both benchmarks)

CLOSE_EVENTS = ("lot_sold", "lot_unsold", "lot_skipped", "auction_completed", "auction_paused")


def start_bare(count: int, env: dict, name: str, workdir: Path, sockets: int, hard: int):
    """`count` bare server processes, behind nginx when more than one: (the servers, every process
    started, base URL)."""
    procs, bases = [], []
    for i in range(count):
        port = services.free_port()
        proc = services.spawn([str(services.VENV_BIN / "gunicorn"), "-k", "gevent", "-w", "1",
                               "--worker-connections", str(sockets // count + 1200), "-b",
                               f"127.0.0.1:{port}", "--no-control-socket", "benchmarks.bare_server:app"],
                              workdir / f"{name}{i}.log", env)
        procs.append(proc)
        services.wait_for_port(port, proc=proc)
        bases.append(f"http://127.0.0.1:{port}")
    if count == 1:
        return procs, procs, bases[0]
    # The same nginx as the product's, in front of the bare processes.
    workers = max(2, math.ceil(2.6 * sockets / hard))
    nginx, base = start_nginx(workdir, bases, affinity="cookie", workers=workers,
                              max_connections=min(hard - 200, 3 * sockets // workers + 1000))
    return procs, procs + [nginx], base


def pin_load_generator(web_processes: int) -> set[int]:
    """Move this process (and so every process it starts) off the CPUs the web processes get.

    Returns the CPUs kept for the web processes (`pin_process`)."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) <= web_processes:
        sys.exit(f"--pin needs more CPUs than web processes: {len(cpus)} CPUs, {web_processes} web processes")
    os.sched_setaffinity(0, cpus[web_processes:])
    return set(cpus[:web_processes])


def pin_process(pid: int, cpus: set[int]) -> None:
    """Every thread of `pid` onto `cpus` (threads it starts later inherit them)."""
    for task in os.listdir(f"/proc/{pid}/task"):
        os.sched_setaffinity(int(task), cpus)


def raise_fd_limit() -> int:
    """Open files up to the hard limit; the servers spawned from here inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of `pid` (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int) -> tuple[float, float]:
    """Resident memory of `pid` now and at its peak, in MB (VmRSS, VmHWM from /proc)."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


class Room:
    """What the scheduler knows of one room: from the broadcasts its clients receive."""

    def __init__(self, auction_id: str, user_ids: list[str]):
        self.auction_id, self.user_ids = auction_id, user_ids
        self.lot_id, self.price, self.leader, self.open = None, 0, None, True
        self.last_sent, self.last_sender = 0, None
        self.clients: dict[str, socketio.AsyncClient] = {}  # user id -> its own connection


class Run:
    def __init__(self, name: str, base: str, plan: list[tuple[str, str, str]], bare: bool, deflate: bool = False):
        self.name, self.base, self.bare, self.deflate = name, base, bare, deflate
        self.rooms: dict[str, Room] = {}
        self.tokens: dict[tuple[str, str], str] = {}
        for auction_id, user_id, token in plan:
            self.rooms.setdefault(auction_id, Room(auction_id, [])).user_ids.append(user_id)
            self.tokens[(auction_id, user_id)] = token
        self.sent: dict[tuple[str, int, str], float] = {}
        self.latencies: list[float] = []
        self.started = 0.0  # when the bidding started; latencies by the second their bid was sent:
        self.timeline: defaultdict[int, list[float]] = defaultdict(list)
        self.delivered = 0
        self.accepted = 0
        self.expected = 0
        self.refused: Counter = Counter()
        self.connect_errors: Counter = Counter()
        self.bids_sent = 0
        self.compressed = 0  # sockets whose server took up the offer of permessage-deflate

    # ---- clients
    def _client(self, room: Room, user_id: str) -> socketio.AsyncClient:
        # --deflate: offer permessage-deflate, as every browser does (aiohttp offers nothing by default).
        sio = socketio.AsyncClient(reconnection=False,
                                   websocket_extra_options={"compress": 15} if self.deflate else None)

        async def on_bid(payload):
            bid = payload["bid"]
            key = (room.auction_id, bid["amount"], bid["user_id"])
            if key in self.sent:
                latency = time.perf_counter() - self.sent[key]
                self.latencies.append(latency)
                self.timeline[int(self.sent[key] - self.started)].append(latency)
                self.delivered += 1
            if bid["amount"] >= room.price:
                room.price, room.leader = bid["amount"], bid["user_id"]

        async def on_lot_opened(payload):
            lot = payload["lot"]
            if lot["id"] != room.lot_id:
                room.lot_id, room.price, room.leader, room.open = lot["id"], lot.get("price") or 0, None, True
                room.last_sent, room.last_sender = 0, None

        async def on_closed(payload):
            if payload.get("lot_id") in (None, room.lot_id):
                room.open = False

        sio.on("bid_accepted", on_bid)
        sio.on("lot_opened", on_lot_opened)
        for event in CLOSE_EVENTS:
            sio.on(event, on_closed)
        return sio

    async def _connect_one(self, room: Room, user_id: str) -> None:
        sio = self._client(room, user_id)
        try:
            await sio.connect(self.base, auth={"token": self.tokens[(room.auction_id, user_id)]},
                              transports=["websocket"], wait_timeout=30)
            ack = await sio.call("join_auction", {"auction_id": room.auction_id}, timeout=60)
            if not ack.get("ok"):
                raise RuntimeError(ack["error"]["code"])
            lot = ack["snapshot"].get("lot") or {}
            if room.lot_id is None and lot:
                room.lot_id, room.price = lot.get("id"), lot.get("price") or 0
            room.clients[user_id] = sio
            self.compressed += bool(getattr(sio.eio.ws, "compress", 0))
        except Exception as exc:  # noqa: BLE001  (counted and printed, the run goes on)
            self.connect_errors[type(exc).__name__ + ": " + str(exc)[:80]] += 1
            try:
                await sio.disconnect()
            except Exception:  # noqa: BLE001
                pass

    async def connect_all(self, batch: int = 100) -> float:
        started = time.perf_counter()
        pairs = [(room, uid) for room in self.rooms.values() for uid in room.user_ids]
        for i in range(0, len(pairs), batch):
            await asyncio.gather(*(self._connect_one(r, u) for r, u in pairs[i:i + batch]))
        return time.perf_counter() - started

    # ---- open-loop arrivals
    async def _send(self, room: Room, user_id: str, amount: int) -> None:
        sio = room.clients[user_id]
        members = len(room.clients)

        def on_ack(ack):
            if ack.get("ok"):
                self.accepted += 1
                self.expected += members
            else:
                self.refused[ack["error"]["code"]] += 1

        payload = {"auction_id": room.auction_id, "amount": amount, "retry": False, "user_id": user_id,
                   "idempotency_key": secrets.token_urlsafe(12)}
        if not self.bare:
            payload.pop("user_id")
            payload["lot_id"] = room.lot_id
        self.sent[(room.auction_id, amount, user_id)] = time.perf_counter()
        self.bids_sent += 1
        try:
            await sio.emit("bid", payload, callback=on_ack)
        except Exception as exc:  # noqa: BLE001
            self.refused["send_failed: " + type(exc).__name__] += 1

    async def arrivals(self, rate: float, seconds: float, seed: int) -> float:
        rng = random.Random(seed)
        rooms = [r for r in self.rooms.values() if len(r.clients) >= 2]
        started = self.started = time.perf_counter()
        if not rooms:
            print(f"[{self.name}] no room has two connected members: nothing to bid")
            return 0.001
        at = started
        tasks = set()
        while True:
            at += rng.expovariate(rate)
            if at - started > seconds:
                break
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            room = rng.choice(rooms)
            if not room.open:
                continue  # between lots: nobody can bid
            # The member who is not leading (nor just bid) bids the next price.
            candidates = [u for u in room.clients if u not in (room.leader, room.last_sender)]
            if not candidates:
                continue
            user_id = rng.choice(candidates)
            amount = max(room.price, room.last_sent) + 1
            room.last_sent, room.last_sender = amount, user_id
            task = asyncio.create_task(self._send(room, user_id, amount))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        elapsed = time.perf_counter() - started
        await asyncio.sleep(2.0)  # let the last broadcasts arrive
        return elapsed

    async def close(self) -> None:
        clients = [c for r in self.rooms.values() for c in r.clients.values()]
        for i in range(0, len(clients), 500):
            await asyncio.gather(*(c.disconnect() for c in clients[i:i + 500]), return_exceptions=True)

    def report(self, elapsed: float, connect_s: float, cpu: float) -> dict:
        ms = [v * 1000 for v in self.latencies]
        sockets = sum(len(r.clients) for r in self.rooms.values())
        line = {"p50": percentile(ms, 50), "p95": percentile(ms, 95), "p99": percentile(ms, 99),
                "max": max(ms) if ms else float("nan")}
        print(f"\n== {self.name} ({self.base})")
        print(f"sockets connected      {sockets} in {connect_s:.1f} s; connection errors: "
              f"{sum(self.connect_errors.values())} {dict(self.connect_errors.most_common(3)) or ''}")
        if self.deflate:
            print(f"permessage-deflate     offered by every client, taken up on {self.compressed} sockets")
        print(f"bids sent              {self.bids_sent} ({self.bids_sent / elapsed:.1f}/s); accepted "
              f"{self.accepted} ({self.accepted / elapsed:.1f}/s); refused {sum(self.refused.values())} "
              f"{dict(self.refused.most_common(4)) or ''}")
        print(f"deliveries             expected {self.expected}, received {self.delivered} "
              f"(lost {max(0, self.expected - self.delivered)})")
        print(f"bid -> every client    p50 {line['p50']:7.1f} ms  p95 {line['p95']:7.1f} ms  "
              f"p99 {line['p99']:7.1f} ms  max {line['max']:7.1f} ms")
        print(f"web CPU while bidding  {cpu:.1f} s over {elapsed:.0f} s ({100 * cpu / elapsed:.0f} % of one core)")
        # A tail from a few stalls (a collection, a slow write) looks different from a slow second every second.
        seconds = sorted(((percentile([v * 1000 for v in vs], 95), t) for t, vs in self.timeline.items()), reverse=True)
        print("slowest seconds (p95)  " + ", ".join(f"{ms:.0f} ms at {t} s" for ms, t in seconds[:5])
              + f"; median second {seconds[len(seconds) // 2][0]:.1f} ms" if seconds else "")
        return line


def web_figures(metrics_urls: list[str]) -> Counter:
    """From the product's web processes' /metrics, so far: garbage-collection pauses
    (python_gc_pause_seconds) and changes decided on a copy of the auction another process
    had changed (auction_stale_state_rereads_total)."""
    from prometheus_client.parser import text_string_to_metric_families

    total: Counter = Counter()
    for url in metrics_urls:
        text = urllib.request.urlopen(url, timeout=10).read().decode()
        for family in text_string_to_metric_families(text):
            if family.name == "auction_stale_state_rereads":
                total["stale_rereads"] += sum(sample.value for sample in family.samples)
            if family.name == "mongodb_command_duration_seconds":
                for sample in family.samples:
                    command = sample.labels["command"]
                    if sample.name.endswith("_count"):
                        total["mongo:" + command] += sample.value
                    elif sample.name.endswith("_bucket") and command in ("update", "insert"):
                        total[f"{command}_within:" + sample.labels["le"]] += sample.value
            if family.name == "auction_bid_duration_seconds":
                for sample in family.samples:
                    if sample.name.endswith("_bucket"):
                        total["decided_within:" + sample.labels["le"]] += sample.value
            if family.name != "python_gc_pause_seconds":
                continue
            for sample in family.samples:
                if sample.name.endswith("_count"):
                    total["count"] += sample.value
                elif sample.name.endswith("_sum"):
                    total["seconds"] += sample.value
                    total["seconds_gen" + sample.labels["generation"]] += sample.value
                elif sample.name.endswith("_bucket") and sample.labels["le"] == "0.05":
                    total["under_50ms"] += sample.value
    return total


async def drive(run: Run, rate: float, seconds: float, seed: int, web_pids: list[int],
                pause_for_profile: float, metrics_urls: list[str] = (),
                services_pids: dict[str, int] | None = None) -> dict:
    services_pids = services_pids or {}
    connect_s = await run.connect_all()
    # The clients' own collector would stop every client at once (10,000 of them hold millions of
    # objects; with it on, pauses of up to 330 ms added 3.6 s per 30 s to what was measured): it is
    # off while bids are measured, in both runs, and any collection that still happens is printed.
    gc.collect()
    gc.disable()
    client_pauses = ClientPauses()
    before = sum(cpu_seconds(p) for p in web_pids)
    services_before = {name: cpu_seconds(pid) for name, pid in services_pids.items()}
    client_before = time.process_time()
    figures_before = web_figures(metrics_urls)
    if pause_for_profile:
        print(f"[{run.name}] bidding started; web worker pids {web_pids} "
              f"(py-spy record -p PID -d 20 -f raw -o profile.txt)", flush=True)
    elapsed = await run.arrivals(rate, seconds, seed)
    cpu = sum(cpu_seconds(p) for p in web_pids) - before
    line = run.report(elapsed, connect_s, cpu)
    memory = [memory_mb(p) for p in web_pids]
    print(f"web memory             {sum(now for now, _ in memory):.0f} MB resident after bidding, peak "
          f"{sum(peak for _, peak in memory):.0f} MB ({len(web_pids)} process(es))")
    if services_pids:
        print("services CPU           " + ", ".join(
            f"{name} {cpu_seconds(pid) - services_before[name]:.1f} s" for name, pid in services_pids.items())
              + f" over {elapsed:.0f} s")
    client_cpu = time.process_time() - client_before
    # The clients share the machine with the servers: a client near 100 % of a core queues what it receives.
    print(f"client CPU             {client_cpu:.1f} s over {elapsed:.0f} s ({100 * client_cpu / elapsed:.0f} % of one core); "
          f"client GC pauses {client_pauses.stop()}")
    if metrics_urls:
        figures = web_figures(metrics_urls)
        figures.subtract(figures_before)
        print(f"web GC pauses          {figures['count']:.0f} while bidding, {1000 * figures['seconds']:.0f} ms in all, "
              f"{figures['count'] - figures['under_50ms']:.0f} over 50 ms; by generation "
              + ", ".join(f"{k[-1]}: {1000 * v:.0f} ms" for k, v in sorted(figures.items())
                          if k.startswith("seconds_gen") and v > 0))
        print(f"stale-state re-reads   {figures['stale_rereads']:.0f} (decided again after another process "
              f"changed the auction)")
        print(f"bid decided (server)   {server_quantiles(figures, 'decided')} (auction_bid_duration_seconds buckets)")
        print(f"database writes        update {server_quantiles(figures, 'update')}; insert "
              f"{server_quantiles(figures, 'insert')} (mongodb_command_duration_seconds buckets)")
        accepted = max(run.accepted, 1)
        commands = sorted((k.split(":", 1)[1], v) for k, v in figures.items() if k.startswith("mongo:") and v > 0)
        print("database commands      per accepted bid: "
              + ", ".join(f"{name} {count / accepted:.2f}" for name, count in commands))
    gc.enable()
    await run.close()
    return line


def server_quantiles(figures: Counter, name: str) -> str:
    """p50 and p95 of a server histogram taken from /metrics, as the bucket bound they fall under."""
    buckets = sorted((float(k.split(":", 1)[1]), v) for k, v in figures.items() if k.startswith(f"{name}_within:"))
    count = buckets[-1][1] if buckets else 0
    if not count:
        return "none"

    def under(q: float) -> str:
        bound = next(le for le, n in buckets if n >= q * count)
        return "over 1 s" if bound == float("inf") else f"<= {1000 * bound:g} ms"
    return f"p50 {under(0.5)}, p95 {under(0.95)}, of {count:.0f}"


class ClientPauses:
    """The load generator's own garbage-collection pauses while it measures (gc.callbacks)."""

    def __init__(self):
        self.count, self.seconds, self.longest, self._started = 0, 0.0, 0.0, 0.0
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, _info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            pause = time.perf_counter() - self._started
            self.count, self.seconds, self.longest = self.count + 1, self.seconds + pause, max(self.longest, pause)

    def stop(self) -> str:
        gc.callbacks.remove(self._on_gc)
        return f"{self.count}, {1000 * self.seconds:.0f} ms in all, longest {1000 * self.longest:.0f} ms"


def lot_close_lag(db, auction_ids: list[str]) -> None:
    lags = [(r["at"] - r["ends_at"]).total_seconds() for r in
            db.auction_log.find({"auction_id": {"$in": auction_ids}, "kind": "lot_closed"})]
    if not lags:
        print("lot close lag          no lot closed by its clock during the run")
        return
    print(f"lot close lag          {len(lags)} lots closed by the clock: p50 {percentile(lags, 50):.2f} s  "
          f"p99 {percentile(lags, 99):.2f} s  max {max(lags):.2f} s  (actual close - ends_at)")


RATIOS = (("product", "bare", "  (target <= 2x)"), ("floor", "bare", ""), ("product", "floor", ""))


def print_ratios(results: dict[str, list[dict]]) -> None:
    """The p95 ratios of each round (servers measured one after the other, same arrivals) and,
    over several rounds, their median: on a shared machine one round can land in a noisy minute."""
    for over, under, note in RATIOS:
        pairs = list(zip(results[over], results[under]))
        if not pairs:
            continue
        ratios = [a["p95"] / b["p95"] for a, b in pairs]
        label = f"p95 {over} / {under}"
        if len(ratios) == 1:
            print(f"{label:22s} {ratios[0]:.1f}x{note}")
        else:
            each = ", ".join(f"{r:.1f}x" for r in ratios)
            print(f"{label:22s} median {statistics.median(ratios):.1f}x over {len(ratios)} rounds ({each}){note}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=30)
    parser.add_argument("--members", type=int, default=30)
    parser.add_argument("--rate", type=float, default=50, help="bids per second over all rooms (Poisson)")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--web", type=int, default=1, help="web processes (behind nginx when more than 1)")
    parser.add_argument("--bare-web", type=int, default=1,
                        help="bare server processes (behind nginx, rooms shared through Redis, when more than 1)")
    parser.add_argument("--bare-db", action="store_true",
                        help="the bare server first writes each bid to the product's database (one conditional "
                             "write, as the product's bid), to separate the database's share of the latency")
    parser.add_argument("--with-floor", action="store_true",
                        help="also measure, in the same run, the bare server storing each bid first (as --bare-db) "
                             "and print the product's p95 against that floor too")
    parser.add_argument("--lot-seconds", type=int, default=0,
                        help="short lots of this many seconds (0: one long lot per room)")
    parser.add_argument("--only", choices=("both", "product", "bare"), default="both")
    parser.add_argument("--pin", action="store_true",
                        help="the web processes (product's and bare server's alike) get CPUs of their own; the "
                             "database, Redis, workers and this load generator share the others, as when they "
                             "run on other machines")
    parser.add_argument("--deflate", action="store_true",
                        help="clients offer permessage-deflate, as browsers do (each server decides whether to "
                             "take it up; the report says on how many sockets it did)")
    parser.add_argument("--pause-for-profile", type=float, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure every server this many times, taking turns (round n uses seed + n - 1 and "
                             "auctions of its own), and print each round's ratios and their median")
    args = parser.parse_args()

    hard = raise_fd_limit()
    served_cpus = pin_load_generator(max(args.web, args.bare_web)) if args.pin else None
    sockets = args.rooms * args.members
    if sockets + 200 > hard:
        print(f"warning: the clients' {sockets} sockets need as many file descriptors in this process; "
              f"the hard limit is {hard}")
    per_web = sockets // args.web + 200
    worker_connections = per_web + 1000
    workdir = Path(tempfile.mkdtemp(prefix="realtime-load-"))
    procs = []
    results: dict[str, list[dict]] = {"bare": [], "floor": [], "product": []}
    try:
        mongo, mongo_url = services.start_mongo(workdir)
        redis_proc, redis_url, _ = services.start_redis(workdir)
        procs += [mongo, redis_proc]
        public_port = services.free_port()
        env = dict(os.environ, APP_ENV="testing", MONGO_URL=mongo_url, MONGO_DB="bench", REDIS_URL=redis_url,
                   PUBLIC_BASE_URL=f"http://127.0.0.1:{public_port}", WEB_CONNECTIONS=str(per_web),
                   TRUSTED_PROXIES="1" if args.web > 1 else "0", PYTHONUNBUFFERED="1")
        os.environ.update({k: env[k] for k in ("APP_ENV", "MONGO_URL", "MONGO_DB", "REDIS_URL", "PUBLIC_BASE_URL")})
        from auction_app import create_app
        from auction_app.auth.guards import issue_session
        from auction_app.db import create_indexes
        from auction_app.effects import carry_out
        from auction_app.extensions import mongo as mongo_ext
        from auction_app.services import auction_engine

        app = create_app()
        webs = []
        for i in range(args.web):
            port = public_port if args.web == 1 else None
            proc, base = services.start_web(env, workdir, name=f"web{i}", port=port,
                                            worker_connections=worker_connections)
            webs.append((proc, base))
            procs.append(proc)
        if args.web > 1:
            # Several nginx workers share the port, as ingress-nginx runs: each holds ~2 x sockets / workers files.
            nginx_workers = max(2, math.ceil(2.6 * sockets / hard))
            nginx, product_base = start_nginx(workdir, [b for _, b in webs], affinity="cookie", port=public_port,
                                              workers=nginx_workers,
                                              max_connections=min(hard - 200, 3 * sockets // nginx_workers + 1000))
            procs.append(nginx)
        else:
            product_base = webs[0][1]
        procs.append(services.start_worker(env, workdir, name="timers", queues="timers,clock", concurrency=4))
        procs.append(services.start_worker(env, workdir, name="general", queues="default,email,maintenance,clock",
                                           concurrency=2))
        procs.append(services.start_beat(env, workdir))
        bare_env = dict(os.environ, **({"BARE_REDIS_URL": redis_url} if args.bare_web > 1 else {}))
        floor_env = dict(bare_env, BARE_MONGO_URL=mongo_url)
        bare_procs, started, bare_base = start_bare(args.bare_web, floor_env if args.bare_db else bare_env, "bare",
                                                    workdir, sockets, hard)
        procs += started
        floor_procs, floor_base = [], None
        if args.with_floor:
            floor_procs, started, floor_base = start_bare(args.bare_web, floor_env, "floor", workdir, sockets, hard)
            procs += started
        time.sleep(1.0)
        web_pids = [c for proc, _ in webs for c in children(proc.pid)]
        bare_pids = [c for proc in bare_procs for c in children(proc.pid)]
        floor_pids = [c for proc in floor_procs for c in children(proc.pid)]
        if served_cpus:
            for pid in web_pids + bare_pids + floor_pids:
                pin_process(pid, served_cpus)

        # Each round bids in auctions of its own, so every round's product starts from the same state.
        plans, auction_ids = [[] for _ in range(args.rounds)], []
        lot_seconds = args.lot_seconds or 3600
        with app.test_request_context():
            db = mongo_ext.db
            create_indexes(db)
            now = datetime.now(timezone.utc)
            for plan in plans:
                for _ in range(args.rooms):
                    league, users = make_league(db, members=args.members, budget=10**9, roster_slots=6,
                                                lot_seconds=lot_seconds, bid_clock_seconds=min(lot_seconds, 10),
                                                pause_between_lots_seconds=2, max_members=max(16, args.members))
                    auction, effects = auction_engine.start(db, league, users[0]["_id"], now)
                    carry_out(effects)
                    auction_ids.append(auction["_id"])
                    for user in users:
                        plan.append((auction["_id"], user["_id"], issue_session(user, "bench", "127.0.0.1")))
        print(f"{args.rooms} rooms x {args.members} members = {sockets} sockets; {args.rate:g} bids/s (Poisson, "
              f"open loop) for {args.seconds:g} s; product: {args.web} web process(es) "
              f"(gunicorn -k gevent -w 1 --worker-connections {worker_connections}, WEB_CONNECTIONS={per_web})"
              + (" behind nginx (cookie affinity)" if args.web > 1 else "")
              + (f"; lots of {args.lot_seconds} s" if args.lot_seconds else "") + f"; fd limit {hard}"
              + (f"; web processes on CPUs {sorted(served_cpus)}, everything else on "
                 f"{sorted(os.sched_getaffinity(0))}" if served_cpus else ""))
        for number, plan in enumerate(plans, start=1):
            if args.rounds > 1:
                print(f"\n######## round {number} of {args.rounds}")
            seed = args.seed + number - 1  # the same arrivals for every server within a round
            bare_plan = [(a, u, "bare") for a, u, _ in plan]  # the bare servers take no session tokens
            if args.only in ("both", "bare"):
                bare_name = ("bare python-socketio server" + (f" x {args.bare_web} behind nginx" if args.bare_web > 1 else "")
                             + (" writing each bid to the database first" if args.bare_db else ""))
                results["bare"].append(asyncio.run(drive(Run(bare_name, bare_base, bare_plan, bare=True,
                                                             deflate=args.deflate),
                                                         args.rate, args.seconds, seed, bare_pids, 0)))
            if args.with_floor and args.only in ("both", "bare"):
                name = "floor: bare server writing each bid to the database first" + (
                    f" x {args.bare_web} behind nginx" if args.bare_web > 1 else "")
                results["floor"].append(asyncio.run(drive(Run(name, floor_base, bare_plan,
                                                              bare=True, deflate=args.deflate),
                                                          args.rate, args.seconds, seed, floor_pids, 0)))
            if args.only in ("both", "product"):
                results["product"].append(asyncio.run(drive(
                    Run("product", product_base, plan, bare=False, deflate=args.deflate), args.rate, args.seconds,
                    seed, web_pids, args.pause_for_profile, [f"{base}/metrics" for _, base in webs],
                    {"database (nx-27017)": mongo.pid, "redis": redis_proc.pid})))
        if args.only in ("both", "product"):
            with app.app_context():
                lot_close_lag(mongo_ext.db, auction_ids)
    finally:
        for proc in reversed(procs):
            services.stop_process(proc)
    print_ratios(results)
    print(f"logs: {workdir}")


if __name__ == "__main__":
    main()
