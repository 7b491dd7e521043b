"""Run engine operations in other OS processes, released at the same instant.

Races between web processes and workers are races between processes: each of
these has its own MongoClient and its own in-process locks and caches, exactly
as two gunicorn processes or a web process and a Celery worker do.
"""
from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

_db = None


def _init(mongo_url: str, db_name: str) -> None:
    global _db
    from auction_app.db import connect

    _db = connect(mongo_url, 5000)[db_name]


def _run(release_at: float, operation: str, args: tuple, kwargs: dict):
    from auction_app.services import auction_engine as engine
    from auction_app.services.errors import ServiceError

    while time.time() < release_at:
        time.sleep(0.0005)
    try:
        if operation == "warm_up":
            return {"ok": True}
        if operation == "place_bid":
            result = engine.place_bid(_db, *args, **kwargs)
            return {"accepted": result.accepted, "duplicate": result.duplicate, "code": result.code,
                    "seq": result.bid["seq"] if result.bid else None}
        if operation == "start":
            auction, _ = engine.start(_db, *args, **kwargs)
            return {"ok": True, "auction": auction}
        if operation == "join":
            from auction_app.repositories import leagues

            league_id, user_id, member = args
            return {"ok": leagues.join(_db, league_id, user_id, member, invite_token=None) is not None}
        effects = getattr(engine, operation)(_db, *args, **kwargs)
        return {"ok": True, "events": [(auction_id, name) for auction_id, name, _ in effects.events]}
    except ServiceError as exc:
        return {"ok": False, "code": exc.code}


class EngineProcesses:
    def __init__(self, mongo_url: str, db_name: str, count: int = 2):
        context = multiprocessing.get_context("spawn")
        self.pools = [ProcessPoolExecutor(1, mp_context=context, initializer=_init, initargs=(mongo_url, db_name))
                      for _ in range(count)]
        for pool in self.pools:  # import everything now, so the race isn't decided by import time
            pool.submit(_run, 0, "warm_up", (), {}).result(60)

    def race(self, *calls: tuple[str, tuple, dict]) -> list[dict]:
        """Run calls[i] in process i, all released at the same moment; their answers in order."""
        release_at = time.time() + 0.3
        futures = [pool.submit(_run, release_at, op, args, kwargs) for pool, (op, args, kwargs) in zip(self.pools, calls)]
        return [f.result(60) for f in futures]

    def close(self) -> None:
        for pool in self.pools:
            pool.shutdown(cancel_futures=True)
