"""One dependency check per process every STATUS_CACHE_SECONDS, shared by /ready,
/api/status, the maintenance guard and /metrics.

A thousand members watching the status page cost one MongoDB ping, one Redis
ping and one Celery broadcast ping per process every few seconds, not one each.
While one request refreshes the check, the others answer from the previous one.
"""
from __future__ import annotations

import threading
import time

import redis

from auction_app.ops.health import readiness

_lock = threading.Lock()
_cache: dict = {}


def queue_lengths(url: str, queues, timeout_s: float) -> dict[str, int]:
    """Tasks waiting per Celery queue (the Redis broker keeps each queue in a list of that name)."""
    client = redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
    try:
        return {name: int(client.llen(name)) for name in queues}
    finally:
        client.close()


def _refresh(app) -> dict:
    from workers import QUEUES

    config = app.config
    body, healthy = readiness(config, app.extensions["celery"])
    snap = dict(body, healthy=healthy, checked_at=time.time(), queues={})
    if body["redis"] == "connected":
        try:
            snap["queues"] = queue_lengths(config["CELERY_BROKER_URL"], QUEUES, config["HEALTH_TIMEOUT_SECONDS"])
        except redis.RedisError:
            pass
    if body["database"] == "connected":
        snap.update(_shared_records(app))
    return snap


def _shared_records(app) -> dict:
    from auction_app.ops.health import _mongo_probe_client
    from auction_app.repositories import ops_state

    try:
        client = _mongo_probe_client(app.config["MONGO_URL"], app.config["HEALTH_TIMEOUT_SECONDS"])
        states = ops_state.all_states(client[app.config["MONGO_DB"]])
    except Exception:  # noqa: BLE001 — a failed read only leaves these figures out
        return {}
    found: dict = {}
    for key, field in ((ops_state.BACKUP, "backup_at"), (ops_state.RESTORE_DRILL, "drill_at")):
        at = _epoch(states.get(key, {}).get("last_success_at"))
        if at is not None:
            found[field] = at
    maintenance = states.get(ops_state.MAINTENANCE)
    if maintenance and maintenance.get("on"):
        found["maintenance"] = {"message": maintenance.get("message") or "", "since": maintenance.get("since")}
    return found


def _epoch(value) -> float | None:
    """Seconds since the epoch of a stored time (a datetime; nx-27017 may hand back an ISO string)."""
    from datetime import datetime, timezone

    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()


def snapshot(app, max_age: float | None = None) -> dict:
    """The latest check. When it is older than STATUS_CACHE_SECONDS a background refresh starts
    and this call still answers at once from the previous one: no request ever waits for the
    Celery ping (which always takes its whole timeout) except the very first in a process."""
    app = _real(app)
    max_age = app.config["STATUS_CACHE_SECONDS"] if max_age is None else max_age
    key = id(app)
    current = _cache.get(key)
    if current is not None and time.time() - current["checked_at"] < max_age:
        return current
    if current is None:
        with _lock:
            if key not in _cache:
                _cache[key] = _refresh(app)
        return _cache[key]
    if _lock.acquire(blocking=False):
        threading.Thread(target=_refresh_in_background, args=(app, key), daemon=True,
                         name="status-check").start()
    return current


def _refresh_in_background(app, key) -> None:
    try:
        _cache[key] = _refresh(app)
    except Exception:  # noqa: BLE001 — keep serving the previous check; the next call retries
        import logging

        logging.getLogger(__name__).warning("status check failed", exc_info=True)
    finally:
        _lock.release()


def forget(app) -> None:
    """The next snapshot() runs the checks again (after `flask maintenance on|off` in this process)."""
    _cache.pop(id(_real(app)), None)


def _real(app):
    """The app object itself, also when given flask.current_app (a proxy)."""
    getter = getattr(app, "_get_current_object", None)
    return getter() if getter else app
