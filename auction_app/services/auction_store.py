"""Loading and committing auction states: the engine's only way to the database.

* `load` reads the auction and first completes what the last change left in its
  outbox (log records, audit, league status), so a crash between a change and
  its follow-ups is repaired by whoever comes next.
* `commit` writes a decision's new state, its records and follow-ups as ONE
  conditional replace on the document's version and revision; False means somebody else
  changed the auction first, and the caller decides again on a fresh read.
* `cached` gives the state this process last read or wrote, so an accepted bid
  costs one conditional write and no read, however long ago the auction last
  changed. It can only be stale, never wrong in effect: a commit on a stale state
  fails its version and revision check (the caller re-reads and decides again),
  and a refusal or no-op decided on a cached state is decided again on a fresh
  read before it is returned (docs/performance.md).
* `proxies_for` gives the league's hidden maximums, read once per lot and per
  change of maximums (the auction's `proxy_version`), not once per bid.
"""
from __future__ import annotations

import threading
import time
import weakref
from collections import deque
from typing import Any, Callable

from pymongo.database import Database

from auction_app.domain.auction_machine import Decision
from auction_app.domain.proxy_rules import ProxyBid
from auction_app.repositories import auctions, bids, leagues, proxies


class _RecentlyStored:
    """Records this process already stored, so a re-read doesn't store them again.

    Only an optimisation: a record missing from here is stored again, idempotently. A
    record is known by database, id AND time: after a restore, the sequence numbers a
    running process has seen are given to new records, which must still be stored.
    """

    def __init__(self, size: int = 20000):
        self._order: deque[str] = deque(maxlen=size)
        self._ids: set[str] = set()
        self._guard = threading.Lock()

    def __contains__(self, record_id: str) -> bool:
        return record_id in self._ids

    def add(self, record_id: str) -> None:
        with self._guard:
            if len(self._order) == self._order.maxlen:
                self._ids.discard(self._order[0])
            self._order.append(record_id)
            self._ids.add(record_id)


_stored = _RecentlyStored()
_locks_guard = threading.Lock()
_locks: "weakref.WeakValueDictionary[str, threading.RLock]" = weakref.WeakValueDictionary()
_proxy_cache: dict[str, tuple[tuple, list[ProxyBid]]] = {}
# (database name, auction id) -> (monotonic time stored, state). Correct at any age: a commit
# is written only over the very revision it was decided on (auctions.replace_if_unchanged). The
# age bound only lets go of auctions this process no longer serves.
_state_cache: dict[tuple[str, str], tuple[float, dict]] = {}
STATE_CACHE_SECONDS = 600.0
_next_prune = {"at": 0.0}
_sharing: dict[str, Callable[[Database, dict], None] | None] = {"share": None}
_stale = {"rereads": 0}


def lock(auction_id: str) -> threading.RLock:
    """Changes to one auction take turns inside this process.

    The second of two equal bids then sees the first one's price at once instead of
    racing it to the database, and events leave in sequence order. Across processes
    the conditional write still decides.
    """
    with _locks_guard:
        found = _locks.get(auction_id)
        if found is None:
            found = _locks[auction_id] = threading.RLock()
        return found


def load(db: Database, auction_id: str) -> dict | None:
    state = auctions.get(db, auction_id)
    if state is not None:
        complete_outbox(db, state)
        remember(db, state)
    else:
        forget(db, auction_id)
    return state


class _SharedReads:
    """Reads that start after the caller asked, shared by everyone asking meanwhile.

    When fifty members open the room in the same second, they need a state at least as
    new as the moment each of them joined the room's broadcasts, not fifty reads: every
    caller waits for the next read to start (never one already under way, which may
    predate its join) and all callers queued for that read share its result.
    """

    class _Flight:
        def __init__(self):
            self.done = threading.Event()
            self.result: Any = None
            self.error: BaseException | None = None

    def __init__(self):
        self._guard = threading.Lock()
        self._queued: dict[tuple, "_SharedReads._Flight"] = {}
        self._running: dict[tuple, "_SharedReads._Flight"] = {}

    def read(self, key: tuple, read: Callable[[], Any]) -> Any:
        with self._guard:
            flight = self._queued.get(key)
            leads = flight is None
            if leads:
                flight = self._queued[key] = self._Flight()
        if not leads:
            flight.done.wait()
        else:
            self._lead(key, flight, read)
        if flight.error is not None:
            raise flight.error
        return flight.result

    def _lead(self, key: tuple, flight: "_SharedReads._Flight", read) -> None:
        while True:  # one read of a key at a time: ours starts when the one under way ends
            with self._guard:
                running = self._running.get(key)
                if running is None:
                    self._running[key] = flight
                    del self._queued[key]  # whoever asks from now on waits for a later read
                    break
            running.done.wait()
        try:
            flight.result = read()
        except BaseException as exc:  # noqa: BLE001  (handed to every caller of this read)
            flight.error = exc
        finally:
            with self._guard:
                del self._running[key]
            flight.done.set()


_shared_reads = _SharedReads()


def read_after_now(db: Database, auction_id: str) -> dict | None:
    """The stored state, read after this call began (for snapshots: see `_SharedReads`)."""
    return _shared_reads.read((db.name, auction_id), lambda: load(db, auction_id))


def members_of(db: Database, auction_id: str) -> dict | None:
    """The auction's members (fixed when it starts) from any state this process holds, else a read."""
    hit = _state_cache.get((db.name, auction_id))
    state = hit[1] if hit is not None else read_after_now(db, auction_id)
    return None if state is None else state["members"]


def cached(db: Database, auction_id: str) -> dict | None:
    """The state this process last loaded or committed (call under `lock`), or None.

    Decide on it only where a stale state costs a retry: see the module docstring."""
    hit = _state_cache.get((db.name, auction_id))
    if hit is None or time.monotonic() - hit[0] > STATE_CACHE_SECONDS:
        return None
    return hit[1]


def remember(db: Database, state: dict) -> None:
    now = time.monotonic()
    _state_cache[(db.name, state["_id"])] = (now, state)
    if now >= _next_prune["at"]:
        _next_prune["at"] = now + 60
        for key in [k for k, (stored, _) in list(_state_cache.items()) if now - stored > STATE_CACHE_SECONDS]:
            _state_cache.pop(key, None)


def holds_older(db_name: str, auction_id: str, version: int) -> bool:
    """Whether this process holds a state of the auction older than `version`."""
    hit = _state_cache.get((db_name, auction_id))
    return hit is not None and hit[1]["version"] < version


def remember_shared(db_name: str, state: dict) -> bool:
    """A state another process committed, with its log records stored: kept in place of an
    older cached state of the same auction. Auctions this process holds no state of are left
    alone, so the cache holds only what this process serves."""
    if not holds_older(db_name, state["_id"], state["version"]):
        return False
    _state_cache[(db_name, state["_id"])] = (time.monotonic(), state)
    return True


def note_stale() -> None:
    """A change was decided on a cached state another process had changed: it is decided again."""
    _stale["rereads"] += 1


def stale_rereads() -> int:
    """How many changes this process decided again because its cached state was out of date."""
    return _stale["rereads"]


def share_commits_with(share: Callable[[Database, dict], None] | None) -> None:
    """Who hears of this process's commits (auction_app/state_sharing.py; None: nobody)."""
    _sharing["share"] = share


def share(db: Database, state: dict) -> None:
    """Pass a committed state, whose records are stored and follow-ups done, to the other processes."""
    if _sharing["share"] is not None and not state.get("outbox_pending"):
        _sharing["share"](db, state)


def forget(db: Database, auction_id: str) -> None:
    _state_cache.pop((db.name, auction_id), None)


def followups_done(db: Database, auction_id: str, version: int) -> None:
    """Mark the stored follow-ups of `version` done, in the database and in the cached state."""
    auctions.mark_followups_done(db, auction_id, version)
    hit = _state_cache.get((db.name, auction_id))
    if hit is not None and hit[1].get("version") == version:
        hit[1]["outbox_pending"] = False


def complete_outbox(db: Database, state: dict) -> list[dict]:
    """Store the last change's records and do its database follow-ups (idempotent).

    Returns the follow-ups that are tasks to queue (the caller queues them). If storing
    fails, this process forgets its cached state, so the next change reads the auction
    (and completes the outbox) instead of overwriting an outbox that was never stored."""
    try:
        return _complete_outbox(db, state)
    except Exception:
        forget(db, state["_id"])
        raise


def _complete_outbox(db: Database, state: dict) -> list[dict]:
    tasks = []
    pending = state.get("outbox_pending")
    for entry in state.get("outbox") or []:
        op = entry.get("op", "insert")
        if op != "insert" and not pending:
            continue  # already done
        if op == "task":
            tasks.append(entry)
            continue
        if op == "league_completed":
            leagues.mark_completed(db, entry["league_id"], state.get("completed_at"))
            continue
        collection = "audit" if op == "audit" else entry["collection"]
        record_id = f"{db.name}/{entry['doc']['_id']}@{entry['doc']['at'].isoformat()}"
        if record_id not in _stored:
            auctions.store_record(db, collection, entry["doc"])
            _stored.add(record_id)
    return tasks


def commit(db: Database, old: dict, decision: Decision) -> dict | None:
    """The new state if it was written, None if the auction changed meanwhile."""
    new = decision.state
    carried = [e for e in old.get("outbox") or [] if e.get("op") == "task"] if old.get("outbox_pending") else []
    new["outbox"] = ([{"op": "insert", **record} for record in decision.records] + decision.followups
                     + [e for e in carried if e not in decision.followups])
    new["outbox_pending"] = bool(decision.followups or carried)
    if not auctions.replace_if_unchanged(db, old, new):
        note_stale()
        forget(db, old["_id"])
        return None
    remember(db, new)
    return new


def create(db: Database, decision: Decision) -> dict | None:
    """Store a new auction's first state; None if the league already has one."""
    new = decision.state
    new["outbox"] = [{"op": "insert", **record} for record in decision.records] + decision.followups
    new["outbox_pending"] = bool(decision.followups)
    return new if auctions.insert(db, new) else None


def proxies_for(db: Database, state: dict) -> list[ProxyBid]:
    """The league's live hidden maximums, cached until they change or the lot does.

    Fifty members opening the room at once all find the cache empty: they share a read
    (`_SharedReads`) instead of sending fifty."""
    key = (state.get("proxy_version", 0), (state.get("lot") or {}).get("id"))
    cached = _proxy_cache.get(state["league_id"])
    if cached is not None and cached[0] == key:
        return cached[1]
    found = _shared_reads.read(("proxies", db.name, state["league_id"], key),
                               lambda: league_proxies(db, state["league_id"]))
    _proxy_cache[state["league_id"]] = (key, found)
    return found


def recent_bids(db: Database, state: dict) -> list[dict]:
    """The room's feed as of `state`: its last bids, oldest first. The state keeps only their
    sequence numbers (`recent_bid_seqs`)."""
    seqs = state.get("recent_bid_seqs")
    if seqs is None:  # a document stored before the feed moved to the bid log
        return list(state.get("recent_bids") or [])
    found = bids_of(db, state, seqs)
    return [found[seq] for seq in seqs if seq in found]


def bids_of(db: Database, state: dict, seqs: list[int]) -> dict[int, dict]:
    """Bids of the auction by sequence number, up to `state`.

    Its own change's bids come from its outbox (they may not be stored yet); earlier ones are
    stored before any later change is written, and are read by id. Fifty members opening the
    room at the same version share that read (`_SharedReads`)."""
    found = {e["doc"]["seq"]: e["doc"] for e in state.get("outbox") or [] if e.get("collection") == "bids"}
    missing = [seq for seq in seqs if seq not in found]
    if missing:
        found.update(_shared_reads.read(("bids", db.name, state["_id"], tuple(missing)),
                                        lambda: {b["seq"]: b for b in bids.by_seqs(db, state["_id"], missing)}))
    return found


def league_proxies(db: Database, league_id: str) -> list[ProxyBid]:
    return [ProxyBid(p["user_id"], p["max_amount"], p["created_at"], p["team_key"])
            for p in proxies.for_league(db, league_id)]


