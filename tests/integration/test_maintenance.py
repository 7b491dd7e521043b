"""Housekeeping really deletes what it should, and nothing else."""
from datetime import datetime, timedelta, timezone

from auction_app.repositories import leagues, sessions
from auction_app.services import auction_engine as engine
from tests.support.factories import make_league, make_user


def test_old_practice_leagues_and_their_bots_are_deleted_real_leagues_stay(app, db):
    from workers.maintenance import purge_practice_leagues

    old_practice, practice_users = make_league(db, members=3)
    recent_practice, _ = make_league(db, members=2)
    real, _ = make_league(db, members=2)
    long_ago = datetime.now(timezone.utc) - timedelta(days=30)
    db.leagues.replace_one({"_id": old_practice["_id"]}, dict(old_practice, kind="practice", created_at=long_ago))
    db.leagues.replace_one({"_id": recent_practice["_id"]}, dict(recent_practice, kind="practice"))
    db.leagues.replace_one({"_id": real["_id"]}, dict(real, created_at=long_ago))
    db.users.update_many({"_id": {"$in": [u["_id"] for u in practice_users[1:]]}}, {"$set": {"role": "bot"}})
    engine.start(db, leagues.get(db, old_practice["_id"]), practice_users[0]["_id"], long_ago)

    with app.app_context():
        purge_practice_leagues()

    assert leagues.get(db, old_practice["_id"]) is None
    assert db.auctions.count_documents({"league_id": old_practice["_id"]}) == 0
    assert db.users.count_documents({"_id": {"$in": [u["_id"] for u in practice_users[1:]]}}) == 0
    assert db.users.count_documents({"_id": practice_users[0]["_id"]}) == 1, "the member keeps their account"
    assert leagues.get(db, recent_practice["_id"]) is not None
    assert leagues.get(db, real["_id"]) is not None


def test_expired_sessions_are_forgotten(app, db):
    from workers.maintenance import cleanup_expired_sessions

    user = make_user(db)
    now = datetime.now(timezone.utc)
    sessions.create(db, user_id=user["_id"], jti="expired-jti-" + user["_id"], user_agent="x", ip=None,
                    now=now - timedelta(days=20), expires_at=now - timedelta(days=13))
    sessions.create(db, user_id=user["_id"], jti="live-jti-" + user["_id"], user_agent="x", ip=None,
                    now=now, expires_at=now + timedelta(days=7))
    with app.app_context():
        cleanup_expired_sessions()
    assert sessions.get_by_jti(db, "expired-jti-" + user["_id"]) is None
    assert sessions.get_by_jti(db, "live-jti-" + user["_id"]) is not None
