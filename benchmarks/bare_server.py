"""The floor to compare the product with: a bare python-socketio + gevent broadcast server.

A client joins a room ("join_auction") and sends "bid"; the server re-broadcasts it as
"bid_accepted" to the room and acknowledges it. No database unless asked (BARE_MONGO_URL),
no rules, no Redis unless several bare processes share rooms (BARE_REDIS_URL). Served
exactly like the product's web process (gunicorn -k gevent -w 1), so both share the same
transport stack; benchmarks/realtime_load.py starts it:

    gunicorn -k gevent -w 1 --worker-connections 12000 -b 127.0.0.1:PORT benchmarks.bare_server:app
"""
from gevent import monkey

monkey.patch_all()

import socketio  # noqa: E402

import os  # noqa: E402

# With BARE_REDIS_URL, several bare processes share their rooms through Redis, as the
# product's web processes do (realtime_load.py --bare-web 2): the floor for that topology.
_queue = os.environ.get("BARE_REDIS_URL")
sio = socketio.Server(async_mode="gevent", cors_allowed_origins="*",
                      client_manager=socketio.RedisManager(_queue, channel="bare") if _queue else None)
app = socketio.WSGIApp(sio)
_seq: dict[str, int] = {}


@sio.on("join_auction")
def join_auction(sid, data):
    room = data["auction_id"]
    sio.enter_room(sid, room)
    return {"ok": True, "snapshot": {"seq": _seq.get(room, 0), "lot": {"id": "bare", "price": 0}}}


# With BARE_MONGO_URL, each bid is first one conditional write to that database (a small
# document per room, filtered on its sequence number), as the product's bid is one
# conditional write before its broadcast (realtime_load.py --bare-db): the floor a bid
# that must be stored before anyone hears of it can reach on that database. Each process
# keeps its own documents (its sequence numbers are its own), so every write matches.
_mongo_url = os.environ.get("BARE_MONGO_URL")
if _mongo_url:
    from pymongo import MongoClient  # noqa: E402

    _rooms = MongoClient(_mongo_url).bare_floor.rooms


def store(room: str, seq: int, data: dict) -> None:
    if not _mongo_url:
        return
    doc_id = f"{room}:{os.getpid()}"
    if seq == 1:
        _rooms.insert_one({"_id": doc_id, "seq": 1, "amount": data["amount"]})
    else:
        _rooms.replace_one({"_id": doc_id, "seq": seq - 1}, {"seq": seq, "amount": data["amount"]})


@sio.on("bid")
def bid(sid, data):
    room = data["auction_id"]
    seq = _seq[room] = _seq.get(room, 0) + 1
    store(room, seq, data)
    accepted = {"seq": seq, "amount": data["amount"], "user_id": data.get("user_id")}
    sio.emit("bid_accepted", {"auction_id": room, "seq": seq, "bid": accepted}, to=room)
    return {"ok": True, "bid": accepted}
