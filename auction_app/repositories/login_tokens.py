"""Magic-link tokens. Only the SHA-256 hash of a token is ever stored.

A document: `_id`, `token_hash` (SHA-256 hex of the link token), `code_hash`
(HMAC-SHA256 of the 6-digit code), `email`, `status` ("pending" | "used"),
`code_attempts` (int), `created_at`, `expires_at`, `used_at`, `requested_ip`.

Consuming is ONE atomic conditional update, so two clicks (or two processes)
can never both succeed.
"""
from __future__ import annotations

import secrets
from datetime import datetime

from pymongo import DESCENDING, ReturnDocument
from pymongo.database import Database

from auction_app.repositories._dates import normalize

PENDING = "pending"
USED = "used"
_DATES = ("created_at", "expires_at", "used_at")


def _norm(doc):
    return normalize(doc, _DATES)


def insert(db: Database, *, token_hash: str, code_hash_for, email: str, now: datetime,
           expires_at: datetime, ip: str | None) -> dict:
    """Store a new pending token. `code_hash_for(token_id)` hashes the code with the id as salt."""
    token_id = secrets.token_urlsafe(12)
    doc = {
        "_id": token_id,
        "token_hash": token_hash,
        "code_hash": code_hash_for(token_id),
        "email": email,
        "status": PENDING,
        "code_attempts": 0,
        "created_at": now,
        "expires_at": expires_at,
        "used_at": None,
        "requested_ip": ip,
    }
    db.login_tokens.insert_one(doc)
    return doc


def find_by_hash(db: Database, token_hash: str) -> dict | None:
    """Read only: used to show the confirmation page and to explain a refusal."""
    return _norm(db.login_tokens.find_one({"token_hash": token_hash}))


def consume_by_hash(db: Database, token_hash: str, now: datetime) -> dict | None:
    """Atomically mark a pending, unexpired token used. Returns it, or None if that was not possible."""
    return _norm(db.login_tokens.find_one_and_update(
        {"token_hash": token_hash, "status": PENDING, "expires_at": {"$gt": now}},
        {"$set": {"status": USED, "used_at": now}},
        return_document=ReturnDocument.BEFORE,
    ))


def pending_for_email(db: Database, email: str, now: datetime, limit: int = 5) -> list[dict]:
    """Unexpired, unused tokens of an address, newest first."""
    cursor = db.login_tokens.find(
        {"email": email, "status": PENDING, "expires_at": {"$gt": now}},
    ).sort("created_at", DESCENDING).limit(limit)
    return [_norm(d) for d in cursor]


def reserve_code_attempt(db: Database, token_id: str, now: datetime, max_attempts: int) -> dict | None:
    """Count one code attempt atomically, before comparing. None once the code is dead.

    Counting first means even many parallel guesses get at most `max_attempts` comparisons.
    """
    return _norm(db.login_tokens.find_one_and_update(
        {"_id": token_id, "status": PENDING, "expires_at": {"$gt": now}, "code_attempts": {"$lt": max_attempts}},
        {"$inc": {"code_attempts": 1}},
        return_document=ReturnDocument.AFTER,
    ))


def consume_by_id(db: Database, token_id: str, now: datetime) -> dict | None:
    return _norm(db.login_tokens.find_one_and_update(
        {"_id": token_id, "status": PENDING, "expires_at": {"$gt": now}},
        {"$set": {"status": USED, "used_at": now}},
        return_document=ReturnDocument.BEFORE,
    ))


def count_for_email(db: Database, email: str) -> int:
    return db.login_tokens.count_documents({"email": email})


def delete_expired(db: Database, now: datetime) -> int:
    # The local emulator never runs TTL expiry, so this is what really deletes them.
    return db.login_tokens.delete_many({"expires_at": {"$lte": now}}).deleted_count
