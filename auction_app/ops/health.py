"""Readiness checks with a hard deadline: a dead dependency never hangs a probe."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor, wait

import redis
from pymongo import MongoClient

_probe_clients: dict[str, MongoClient] = {}
_probe_lock = threading.Lock()


def _mongo_probe_client(url: str, timeout_s: float) -> MongoClient:
    # A dedicated client with a short server-selection timeout, so the probe
    # answers quickly even when the app's own client would wait longer.
    with _probe_lock:
        client = _probe_clients.get(url)
        if client is None:
            ms = int(timeout_s * 1000)
            client = MongoClient(url, serverSelectionTimeoutMS=ms, connectTimeoutMS=ms, socketTimeoutMS=ms)
            _probe_clients[url] = client
        return client


def check_mongo(url: str, timeout_s: float) -> None:
    _mongo_probe_client(url, timeout_s).admin.command("ping")


def check_redis(url: str, timeout_s: float) -> None:
    client = redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
    try:
        client.ping()
    finally:
        client.close()


def worker_names(celery_app, timeout_s: float) -> list[str]:
    """Node names of the Celery workers that answer a ping (e.g. general@host, timers@host)."""
    replies = celery_app.control.ping(timeout=timeout_s)
    return [name for reply in replies or [] for name in reply]


def readiness(config: dict, celery_app) -> tuple[dict, bool]:
    """Run the checks in parallel; anything not done by the deadline counts as down."""
    timeout = config["HEALTH_TIMEOUT_SECONDS"]
    checks = {
        "database": lambda: check_mongo(config["MONGO_URL"], timeout),
        "redis": lambda: check_redis(config["REDIS_URL"], timeout),
        "workers": lambda: worker_names(celery_app, min(0.5, timeout)),
    }
    pool = ThreadPoolExecutor(max_workers=len(checks))
    futures = {name: pool.submit(fn) for name, fn in checks.items()}
    wait(futures.values(), timeout=timeout + 0.2)
    pool.shutdown(wait=False, cancel_futures=True)

    body: dict = {}
    for name in ("database", "redis"):
        future = futures[name]
        ok = future.done() and future.exception() is None
        body[name] = "connected" if ok else "unreachable"
    workers = futures["workers"]
    names = workers.result() if workers.done() and workers.exception() is None else []
    body["workers"] = len(names)
    body["worker_names"] = names
    healthy = body["database"] == "connected" and body["redis"] == "connected"
    if not healthy:
        body["status"] = "unhealthy"
        body["failing"] = [n for n in ("database", "redis") if body[n] != "connected"]
    else:
        # No worker means timers and mail are stalled, but this web process can
        # still serve pages, so it stays in rotation and says so.
        body["status"] = "healthy" if body["workers"] else "degraded"
    return body, healthy
