"""A member (or spectator) in the auction room, over a real Socket.IO connection."""
from __future__ import annotations

import secrets
import threading
import time

import socketio


class RoomClient:
    """Connects, joins an auction, records every event, and can bid."""

    EVENTS = ("auction_started", "nomination_turn", "lot_opened", "bid_accepted", "lot_sold", "lot_unsold", "lot_skipped",
              "auction_paused", "auction_resumed", "sale_undone", "auction_completed", "presence")

    def __init__(self, base_url: str, token: str | None = None, spectator_token: str | None = None, name: str = ""):
        self.base_url, self.token, self.spectator_token, self.name = base_url, token, spectator_token, name
        self.events: list[tuple[str, dict]] = []
        self.snapshot: dict | None = None
        self.auction_id: str | None = None
        self.last_seq = 0
        self.gaps = 0
        self.late = 0  # events that arrived after a later one
        self._cond = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        for event in self.EVENTS:
            self.sio.on(event, self._handler(event))

    def _handler(self, event):
        def handle(payload):
            with self._cond:
                self.events.append((event, payload))
                seq = payload.get("seq")
                if event != "presence" and isinstance(seq, int):
                    if seq > self.last_seq + 1:
                        self.gaps += 1
                    if seq <= self.last_seq and event != "presence" and self.snapshot is not None \
                            and seq > self.snapshot["seq"]:
                        self.late += 1
                    self.last_seq = max(self.last_seq, seq)
                self._cond.notify_all()
        return handle

    def connect(self, transports: tuple[str, ...] = ("websocket",), origin: str | None = None) -> "RoomClient":
        """Connect over `transports` (("polling",) keeps to HTTP long-polling, as behind a proxy without upgrades).
        `origin`: the public address to present, when connecting to a web process directly by its own port."""
        auth = {"token": self.token} if self.token else {"spectator_token": self.spectator_token}
        headers = {"Origin": origin} if origin else {}
        self.sio.connect(self.base_url, auth=auth, transports=list(transports), wait_timeout=10, headers=headers)
        return self

    def join(self, auction_id: str) -> dict:
        self.auction_id = auction_id
        payload = {"auction_id": auction_id}
        if self.spectator_token:
            payload["spectator_token"] = self.spectator_token
        ack = self.sio.call("join_auction", payload, timeout=10)
        assert ack["ok"], ack
        with self._cond:
            self.snapshot = ack["snapshot"]
            self.last_seq = max(self.last_seq, self.snapshot["seq"])
        return self.snapshot

    def sync(self) -> dict:
        return self.join(self.auction_id)

    def bid(self, amount, lot_id: str | None = None, key: str | None = None, **extra) -> dict:
        """Send a bid; a new key is a first attempt, a given key is treated as a resend."""
        payload = {"auction_id": self.auction_id, "amount": amount, "retry": key is not None,
                   "idempotency_key": key or secrets.token_urlsafe(12), **extra}
        if lot_id is not None:
            payload["lot_id"] = lot_id
        return self.sio.call("bid", payload, timeout=15)

    def wait_for(self, event: str, predicate=lambda p: True, timeout: float = 20.0) -> dict:
        deadline = time.monotonic() + timeout
        with self._cond:
            seen = 0
            while True:
                for name, payload in self.events[seen:]:
                    if name == event and predicate(payload):
                        return payload
                seen = 0  # events may be consumed in any order; rescan (lists are short)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{self.name}: no {event} within {timeout}s")
                self._cond.wait(remaining)

    def received(self, event: str) -> list[dict]:
        with self._cond:
            return [p for name, p in self.events if name == event]

    def disconnect(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()


def rest_bid(base_url: str, token: str, auction_id: str, amount, lot_id: str | None = None):
    """A bid over the REST API on the team on the block (its lot id read first unless given)."""
    import requests

    headers = {"Authorization": f"Bearer {token}"}
    if lot_id is None:
        state = requests.get(f"{base_url}/api/auctions/{auction_id}", headers=headers, timeout=10).json()
        lot_id = (state.get("lot") or {}).get("id")
    return requests.post(f"{base_url}/api/auctions/{auction_id}/bids", timeout=10, headers=headers,
                         json={"amount": amount, "idempotency_key": secrets.token_urlsafe(12), "lot_id": lot_id})
