"""Every date the product stores reads back as an aware UTC datetime, on the local
emulator as on MongoDB: written by insert, by `$set` in an update, by upsert, inside
nested documents and lists, and read by find, find_one and find_one_and_update."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from pymongo import ReturnDocument

WHEN = datetime(2026, 11, 30, 20, 15, 30, 123000, tzinfo=timezone.utc)

# Every collection and the date fields the product writes in it.
DATE_FIELDS = {
    "users": ["created_at", "last_sign_in_at", "disabled_at", "tutorial_done_at"],
    "sessions": ["created_at", "last_seen_at", "expires_at", "revoked_at"],
    "login_tokens": ["created_at", "expires_at", "used_at"],
    "leagues": ["created_at", "updated_at", "started_at", "completed_at", "last_import_at"],
    "auctions": ["started_at", "next_lot_at", "paused_at", "completed_at", "due_at"],
    "bids": ["at"],
    "auction_log": ["at", "ends_at"],
    "proxies": ["created_at", "suspended_at"],
    "audit": ["at"],
    "fixture_sets": ["created_at", "updated_at"],
    "league_scoring": ["updated_at"],
    "summary_log": ["sent_at"],
    "announcements": ["created_at", "expires_at"],
    "feedback": ["created_at"],
    "mail_claims": ["claimed_at"],
}


def assert_dates(doc: dict, fields) -> None:
    for name in fields:
        value = doc[name]
        assert isinstance(value, datetime) and value.tzinfo is not None, f"{name} came back as {value!r}"
        assert value == WHEN


@pytest.mark.parametrize("collection", sorted(DATE_FIELDS))
def test_dates_read_back_as_datetimes_however_they_were_written(scratch_db, collection):
    fields = DATE_FIELDS[collection]
    coll = scratch_db[collection]
    coll.insert_one({"_id": "inserted", **{f: WHEN for f in fields}})
    coll.insert_one({"_id": "updated"})
    coll.update_one({"_id": "updated"}, {"$set": {f: WHEN for f in fields}})
    coll.update_one({"_id": "upserted"}, {"$set": {f: WHEN for f in fields}}, upsert=True)
    coll.update_one({"_id": "nested"}, {"$set": {"lot": {f: WHEN for f in fields},
                                                 "items": [{f: WHEN for f in fields}]}}, upsert=True)
    for doc_id in ("inserted", "updated", "upserted"):
        assert_dates(coll.find_one({"_id": doc_id}), fields)
    assert_dates(list(coll.find({"_id": "updated"}))[0], fields)
    changed = coll.find_one_and_update({"_id": "updated"}, {"$set": {"touched": 1}},
                                       return_document=ReturnDocument.AFTER)
    assert_dates(changed, fields)
    nested = coll.find_one({"_id": "nested"})
    assert_dates(nested["lot"], fields)
    assert_dates(nested["items"][0], fields)


def test_text_that_only_looks_like_a_date_is_left_alone(scratch_db):
    scratch_db.probe.insert_one({"_id": "x", "name": "2026-11-30 20:15:30", "at": "not a date"})
    doc = scratch_db.probe.find_one({"_id": "x"})
    assert doc["name"] == "2026-11-30 20:15:30" and doc["at"] == "not a date"
