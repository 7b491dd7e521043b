"""Committed auction states shared between processes, so every process's cached state stays fresh.

A process keeps the last state of each auction it serves (`auction_store.cached`), so an
accepted bid costs one conditional write. With several web processes, or a worker closing
a lot, another process's commit made that cache stale: the next bid here failed its write,
read the auction and wrote again (46 % of bids with two web processes in
benchmarks/realtime_load.py). So after a commit whose log records are stored, the process
publishes the new state (BSON) on `<SOCKETIO_CHANNEL>:auction-states`, and every web process
(subscribed in auction_app/sockets.py) takes it in place of an older cached state of the
same auction. Only a shortcut: a message lost or late costs the old retry, never a wrong
decision, since the conditional write on the version still decides.
"""
from __future__ import annotations

import logging

import bson
from flask import current_app
from pymongo.database import Database

from auction_app.redis_store import client
from auction_app.services import auction_store

log = logging.getLogger(__name__)


def channel(config) -> str:
    return f"{config['SOCKETIO_CHANNEL']}:auction-states"


def publish(db: Database, state: dict) -> None:
    """Tell the other processes about a state this one committed (never fails the change)."""
    try:
        client().publish(channel(current_app.config), bson.encode({"db": db.name, "state": state}))
    except Exception:  # noqa: BLE001  (their next write on the old state fails and re-reads)
        log.debug("could not share auction %s v%s", state.get("_id"), state.get("version"), exc_info=True)


def take(raw: bytes, codec_options) -> bool:
    """Take a shared state into this process's cache; True if it replaced an older one."""
    try:
        message = bson.decode(raw, codec_options=codec_options)
        return auction_store.remember_shared(message["db"], message["state"])
    except Exception:  # noqa: BLE001  (a message this version cannot read is only a missed shortcut)
        log.warning("ignored a shared auction state this process could not read", exc_info=True)
        return False
