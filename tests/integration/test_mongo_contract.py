"""The MongoDB operations the product relies on, checked against whatever
MONGO_URL points to. Locally that is nx-27017; an operator can run this module
against a real replica set:

    MONGO_URL='mongodb://host/?replicaSet=rs0' .venv/bin/pytest tests/integration/test_mongo_contract.py

Differences between nx-27017 and MongoDB are in docs/mongodb-compatibility.md.
"""
import os
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from auction_app.db import INDEXES, connect, create_indexes


@pytest.fixture
def contract_db(mongo_url):
    client = connect(os.environ.get("CONTRACT_MONGO_URL") or mongo_url, 5000)
    name = f"contract_{uuid.uuid4().hex[:8]}"
    yield client[name]
    client.drop_database(name)
    client.close()


def test_insert_and_read_back_keeps_types(contract_db):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    contract_db.things.insert_one({"_id": "a", "n": 7, "when": now, "nested": {"list": [{"k": 1}]}})
    doc = contract_db.things.find_one({"_id": "a"})
    assert doc["n"] == 7 and isinstance(doc["n"], int)
    assert doc["when"] == now and doc["when"].tzinfo is not None
    assert doc["nested"]["list"] == [{"k": 1}]


def test_unique_index_refuses_duplicates(contract_db):
    create_indexes(contract_db)
    contract_db.users.insert_one({"_id": "u1", "email": "a@example.com"})
    with pytest.raises(DuplicateKeyError):
        contract_db.users.insert_one({"_id": "u2", "email": "a@example.com"})


def test_compound_unique_index_refuses_duplicates(contract_db):
    create_indexes(contract_db)
    contract_db.bids.insert_one({"_id": "b1", "auction_id": "A", "user_id": "U", "idempotency_key": "k", "seq": 1})
    contract_db.bids.insert_one({"_id": "b2", "auction_id": "A", "user_id": "V", "idempotency_key": "k", "seq": 2})
    with pytest.raises(DuplicateKeyError):
        contract_db.bids.insert_one({"_id": "b3", "auction_id": "A", "user_id": "U", "idempotency_key": "k", "seq": 3})


def test_create_indexes_is_idempotent(contract_db):
    first = create_indexes(contract_db)
    second = create_indexes(contract_db)
    assert first == second
    expected = sum(len(models) for models in INDEXES.values())
    assert len(first) == expected


def test_conditional_find_one_and_update_only_matches_expected_state(contract_db):
    contract_db.lots.insert_one({"_id": "lot", "seq": 0, "status": "open", "price": 0})
    won = contract_db.lots.find_one_and_update(
        {"_id": "lot", "seq": 0, "status": "open"},
        {"$set": {"price": 5, "leader": "a"}, "$inc": {"seq": 1}},
        return_document=ReturnDocument.AFTER,
    )
    lost = contract_db.lots.find_one_and_update(
        {"_id": "lot", "seq": 0, "status": "open"},
        {"$set": {"price": 5, "leader": "b"}, "$inc": {"seq": 1}},
        return_document=ReturnDocument.AFTER,
    )
    assert won["seq"] == 1 and won["leader"] == "a"
    assert lost is None
    assert contract_db.lots.find_one({"_id": "lot"})["leader"] == "a"


def test_conditional_update_with_date_comparison(contract_db):
    now = datetime.now(timezone.utc)
    contract_db.lots.insert_many([
        {"_id": "due", "status": "open", "ends_at": now - timedelta(seconds=1)},
        {"_id": "later", "status": "open", "ends_at": now + timedelta(seconds=60)},
    ])
    result = contract_db.lots.update_many({"status": "open", "ends_at": {"$lte": now}}, {"$set": {"status": "closing"}})
    assert result.modified_count == 1
    assert contract_db.lots.find_one({"_id": "later"})["status"] == "open"


def test_transaction_commit_applies_every_write(contract_db):
    contract_db.members.insert_one({"_id": "m", "budget": 100})
    contract_db.lots.insert_one({"_id": "l", "status": "closing"})
    with contract_db.client.start_session() as session:
        with session.start_transaction():
            contract_db.members.update_one({"_id": "m"}, {"$inc": {"budget": -30}}, session=session)
            contract_db.lots.update_one({"_id": "l"}, {"$set": {"status": "sold"}}, session=session)
    assert contract_db.members.find_one({"_id": "m"})["budget"] == 70
    assert contract_db.lots.find_one({"_id": "l"})["status"] == "sold"


def test_transaction_abort_applies_nothing(contract_db):
    contract_db.members.insert_one({"_id": "m", "budget": 100})
    with pytest.raises(RuntimeError):
        with contract_db.client.start_session() as session:
            with session.start_transaction():
                contract_db.members.update_one({"_id": "m"}, {"$inc": {"budget": -30}}, session=session)
                raise RuntimeError("settlement failed half way")
    assert contract_db.members.find_one({"_id": "m"})["budget"] == 100


def test_aggregate_groups_and_sums(contract_db):
    contract_db.bids.insert_many([
        {"_id": str(i), "auction_id": "A", "user_id": f"u{i % 2}", "amount": i} for i in range(1, 7)
    ])
    rows = list(contract_db.bids.aggregate([
        {"$match": {"auction_id": "A"}},
        {"$group": {"_id": "$user_id", "total": {"$sum": "$amount"}, "count": {"$sum": 1}}},
        {"$sort": {"_id": 1}},
    ]))
    assert rows == [{"_id": "u0", "total": 12, "count": 3}, {"_id": "u1", "total": 9, "count": 3}]


def test_sort_limit_and_in_queries(contract_db):
    contract_db.bids.insert_many([{"_id": str(i), "seq": i, "user_id": f"u{i % 3}"} for i in range(10)])
    top = [d["seq"] for d in contract_db.bids.find({"user_id": {"$in": ["u0", "u1"]}}).sort("seq", -1).limit(3)]
    assert top == [9, 7, 6]


def test_upsert_with_set_on_insert_keeps_first_values(contract_db):
    for amount in (10, 20):
        contract_db.proxies.update_one({"_id": "p"}, {"$set": {"max": amount}, "$setOnInsert": {"created": 1}}, upsert=True)
    doc = contract_db.proxies.find_one({"_id": "p"})
    assert doc == {"_id": "p", "max": 20, "created": 1}


def test_timestamps_stamped_with_current_date_are_dates(contract_db):
    first = datetime(2026, 11, 1, tzinfo=timezone.utc)
    contract_db.sessions.insert_one({"_id": "s", "created_at": first})
    contract_db.sessions.update_one({"_id": "s"}, {"$currentDate": {"last_seen_at": True}})
    doc = contract_db.sessions.find_one({"_id": "s"})
    # Read back as a date. (Don't range-query such stamps: on the emulator only
    # dates written by insert or replace compare correctly in queries.)
    assert isinstance(doc["last_seen_at"], datetime) and doc["last_seen_at"] > first


def test_conditional_replace_keeps_nested_types_and_refuses_stale_writes(contract_db):
    when = datetime(2026, 11, 1, 12, tzinfo=timezone.utc)
    contract_db.auctions.insert_one({"_id": "a", "seq": 0, "lot": None})
    fresh = contract_db.auctions.replace_one({"_id": "a", "seq": 0}, {"seq": 1, "lot": {"ends_at": when}})
    stale = contract_db.auctions.replace_one({"_id": "a", "seq": 0}, {"seq": 1, "lot": {"ends_at": None}})
    assert fresh.modified_count == 1 and stale.modified_count == 0
    assert contract_db.auctions.find_one({"_id": "a"})["lot"]["ends_at"] == when


def test_a_null_in_the_filter_matches_a_missing_field_and_only_that(contract_db):
    """auction_store writes over an auction only if its `rev` is still the one the decision
    was taken on; auctions stored before revisions existed have none, and `None` names that."""
    contract_db.auctions.insert_one({"_id": "old", "version": 3})
    assert contract_db.auctions.replace_one({"_id": "old", "version": 3, "rev": None},
                                            {"version": 4, "rev": "r4"}).modified_count == 1
    assert contract_db.auctions.replace_one({"_id": "old", "version": 4, "rev": None},
                                            {"version": 5, "rev": "r5"}).modified_count == 0
    assert contract_db.auctions.replace_one({"_id": "old", "version": 4, "rev": "r3"},
                                            {"version": 5, "rev": "r5"}).modified_count == 0
    assert contract_db.auctions.find_one({"_id": "old"})["rev"] == "r4"


def test_map_membership_with_exists_is_an_atomic_guard(contract_db):
    contract_db.leagues.insert_one({"_id": "L", "members": {"a": {"n": 1}}, "member_ids": ["a"], "member_count": 1,
                                    "max": 2})
    query = {"_id": "L", "members.b": {"$exists": False}, "$expr": {"$lt": ["$member_count", "$max"]}}
    update = {"$set": {"members.b": {"n": 2}}, "$push": {"member_ids": "b"}, "$inc": {"member_count": 1}}
    assert contract_db.leagues.update_one(query, update).modified_count == 1
    assert contract_db.leagues.update_one(query, update).modified_count == 0
    assert contract_db.leagues.find_one({"_id": "L"})["member_ids"] == ["a", "b"]
    assert contract_db.leagues.count_documents({"member_ids": "b"}) == 1
