"""The one place that owns the MongoDB client, the database handle and the indexes.

Repositories (auction_app/repositories/) take the handle from here; nothing else
talks to pymongo directly. Indexes are applied by `flask create-indexes`, never in
create_app, so starting a web process never writes to the database.
"""
from __future__ import annotations

import os
import threading

from flask import current_app
from pymongo import ASCENDING, DESCENDING, IndexModel, MongoClient
from pymongo.database import Database

from auction_app.repositories._dates import DatedDocument


class Mongo:
    """Per-app settings; one client per process, created lazily (safe across the
    forks of Celery's prefork pool and gunicorn)."""

    def init_app(self, app) -> None:
        app.extensions["mongo"] = _Connection(app.config["MONGO_URL"], app.config["MONGO_DB"],
                                              app.config["MONGO_TIMEOUT_MS"])

    @staticmethod
    def _connection() -> "_Connection":
        return current_app.extensions["mongo"]

    @property
    def client(self) -> MongoClient:
        return self._connection().client

    @property
    def db(self) -> Database:
        return self._connection().db


class _Connection:
    def __init__(self, url: str, db_name: str, timeout_ms: int):
        self.url, self.db_name, self.timeout_ms = url, db_name, timeout_ms
        self._client: MongoClient | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> MongoClient:
        if self._client is None or self._pid != os.getpid():
            with self._lock:
                if self._client is None or self._pid != os.getpid():
                    self._client = connect(self.url, self.timeout_ms)
                    self._pid = os.getpid()
        return self._client

    @property
    def db(self) -> Database:
        return self.client[self.db_name]


def connect(url: str, timeout_ms: int) -> MongoClient:
    # tz_aware + DatedDocument: every date read back is a timezone-aware UTC datetime, on
    # MongoDB and on the local emulator alike. timeoutMS bounds every operation, so a stuck
    # socket can never hold an auction's lock (and every bid behind it) indefinitely.
    return MongoClient(
        url,
        tz_aware=True,
        document_class=DatedDocument,
        timeoutMS=timeout_ms,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        appname="club-auction",
    )


# Every index the product needs, in one place. Documents use an opaque string
# `_id` as their id (the seed's `id` unique index is MongoDB's built-in `_id` one). Names are explicit so that
# re-running create-indexes is idempotent and a changed definition is visible.
INDEXES: dict[str, list[IndexModel]] = {
    "users": [
        IndexModel([("email", ASCENDING)], name="email_unique", unique=True),
    ],
    "login_tokens": [
        IndexModel([("token_hash", ASCENDING)], name="token_hash_unique", unique=True),
        IndexModel([("email", ASCENDING), ("created_at", DESCENDING)], name="email_created"),
        # Declared for real MongoDB; the cleanup task deletes expired tokens everywhere
        # because the local emulator never runs TTL expiry (docs/mongodb-compatibility.md).
        IndexModel([("expires_at", ASCENDING)], name="expires_ttl", expireAfterSeconds=0),
    ],
    "sessions": [
        IndexModel([("jti", ASCENDING)], name="jti_unique", unique=True),
        IndexModel([("user_id", ASCENDING), ("revoked_at", ASCENDING)], name="user_active"),
    ],
    "leagues": [
        IndexModel([("invite_token", ASCENDING)], name="invite_token"),
        IndexModel([("spectator_token", ASCENDING)], name="spectator_token"),
        IndexModel([("sport_key", ASCENDING)], name="sport_key"),
        IndexModel([("commissioner_id", ASCENDING)], name="commissioner_id"),
        # Membership lives in the league document (members map + member_ids), so a
        # join is one atomic conditional update; this multikey index serves the
        # seed's participants (leagueId, userId) lookups ("my leagues", "is member").
        IndexModel([("member_ids", ASCENDING)], name="member_ids"),
        # The clock sweep's two league questions, each asked every second: starts that are
        # due, and starts cut short before their auction was written (usually none of either).
        # (A single-field index: the local emulator uses no compound index for a range.)
        IndexModel([("scheduled_start_ms", ASCENDING)], name="scheduled_start"),
        IndexModel([("auction_pending", ASCENDING)], name="auction_pending"),
    ],
    "auctions": [
        IndexModel([("status", ASCENDING), ("league_id", ASCENDING)], name="status_league"),
        # The clock sweep asks only for auctions with something due, and for unfinished follow-ups.
        IndexModel([("due_at", ASCENDING)], name="due_at"),
        IndexModel([("outbox_pending", ASCENDING)], name="outbox_pending"),
        IndexModel([("league_id", ASCENDING)], name="league_id_unique", unique=True),
    ],
    "bids": [
        IndexModel([("auction_id", ASCENDING), ("seq", ASCENDING)], name="auction_seq_unique", unique=True),
        IndexModel([("auction_id", ASCENDING), ("user_id", ASCENDING), ("idempotency_key", ASCENDING)],
                   name="idempotency_unique", unique=True),
        IndexModel([("user_id", ASCENDING)], name="user_id"),
        IndexModel([("lot_id", ASCENDING)], name="lot_id"),
    ],
    "auction_log": [
        IndexModel([("auction_id", ASCENDING), ("seq", ASCENDING)], name="auction_seq_unique", unique=True),
    ],
    "proxies": [
        IndexModel([("league_id", ASCENDING), ("team_key", ASCENDING)], name="league_team"),
        IndexModel([("league_id", ASCENDING), ("user_id", ASCENDING)], name="league_user"),
    ],
    "audit": [
        IndexModel([("league_id", ASCENDING), ("at", ASCENDING)], name="league_at"),
        # The activity log (sign-ups, sign-ins, league and auction events) for the admin overview.
        IndexModel([("at", DESCENDING), ("action", ASCENDING)], name="at_action"),
    ],
    # The auction room's chat (auction_app/chat): read newest-first per auction.
    "chat_messages": [
        IndexModel([("auction_id", ASCENDING), ("at", DESCENDING)], name="auction_at"),
    ],
    "chat_mutes": [
        IndexModel([("auction_id", ASCENDING)], name="auction_id"),
    ],
    "sports": [
        IndexModel([("key", ASCENDING)], name="key_unique", unique=True),
    ],
    # Standings (issue 6). fixture_sets and league_scoring are read by `_id` only;
    # summary_log's `_id` (league:week:user) is its uniqueness guarantee.
    "fixture_sets": [
        IndexModel([("sport_key", ASCENDING)], name="sport_key"),
    ],
    "summary_log": [
        IndexModel([("league_id", ASCENDING), ("week", ASCENDING)], name="league_week"),
    ],
}


def create_indexes(db: Database) -> list[str]:
    """Apply INDEXES. Safe to run any number of times."""
    created = []
    for collection, models in INDEXES.items():
        created += [f"{collection}.{name}" for name in db[collection].create_indexes(models)]
    return created
