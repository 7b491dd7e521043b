"""Committed auction states shared between processes, so every process's cached state stays fresh.

A process keeps the last state of each auction it serves (`auction_store.cached`), so an
accepted bid costs one conditional write. With several web processes, or a worker closing
a lot, another process's commit made that cache stale: the next bid here failed its write,
read the auction and wrote again (46 % of bids with two web processes in
benchmarks/realtime_load.py). So after a commit whose log records are stored, the process
publishes the new state (BSON) on `<SOCKETIO_CHANNEL>:auction-states`, and every web process
(subscribed in auction_app/sockets.py) takes it in place of an older cached state of the
same auction. Only a shortcut: a message lost or late costs the old retry, never a wrong
decision, since the conditional write on the version still decides. With a single web
process there is nobody to tell, and publishing pauses (ALONE_RECHECK_SECONDS).
"""
from __future__ import annotations

import logging
import os
import time
import uuid

import bson
from flask import current_app
from pymongo.database import Database

from auction_app.redis_store import client
from auction_app.services import auction_store

log = logging.getLogger(__name__)
# A process whose last share reached no other web process (one web process, no one to tell)
# stops encoding and publishing its states for this long, then tries again.
ALONE_RECHECK_SECONDS = 2.0


def channel(config) -> str:
    return f"{config['SOCKETIO_CHANNEL']}:auction-states"


def publish(db: Database, state: dict) -> None:
    """Tell the other processes about a state this one committed (never fails the change).

    The state travels as bytes inside a small envelope, so a process decodes it only when
    it is news: not its own, of an auction it serves, newer than its copy."""
    if time.monotonic() < _me.get("alone_until", 0.0):
        return
    try:
        envelope = {"from": _sender(), "db": db.name, "id": state["_id"], "version": state["version"],
                    "state": bson.encode(state)}
        reached = client().publish(channel(current_app.config), bson.encode(envelope))
        if reached - (1 if _me.get("listening") else 0) <= 0:  # no other web process: look again later
            _me["alone_until"] = time.monotonic() + ALONE_RECHECK_SECONDS
    except Exception:  # noqa: BLE001  (their next write on the old state fails and re-reads)
        log.debug("could not share auction %s v%s", state.get("_id"), state.get("version"), exc_info=True)


def take(raw: bytes, codec_options) -> bool:
    """Take a shared state into this process's cache; True if it replaced an older one."""
    try:
        envelope = bson.decode(raw)
        if envelope["from"] == _sender() or not auction_store.holds_older(envelope["db"], envelope["id"],
                                                                          envelope["version"]):
            return False
        state = bson.decode(envelope["state"], codec_options=codec_options)
        return auction_store.remember_shared(envelope["db"], state)
    except Exception:  # noqa: BLE001  (a message this version cannot read is only a missed shortcut)
        log.warning("ignored a shared auction state this process could not read", exc_info=True)
        return False


def listening() -> None:
    """This process is subscribed to the channel (auction_app/sockets.py), so it hears itself."""
    _me["listening"] = True


def _sender() -> str:
    """This process, as the envelope names it (a forked child gets its own)."""
    if _me.get("pid") != os.getpid():
        _me.update(pid=os.getpid(), id=f"{os.getpid()}-{uuid.uuid4().hex[:12]}")
    return _me["id"]


_me: dict = {}
