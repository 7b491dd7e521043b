"""The app's Redis client (one per app and process), for small shared state such as presence."""
from __future__ import annotations

import os

import redis
from flask import current_app


def client() -> redis.Redis:
    cached = current_app.extensions.get("redis_client")
    if cached is None or cached[0] != os.getpid():
        cached = (os.getpid(), redis.Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=2,
                                                    socket_connect_timeout=2, decode_responses=True))
        current_app.extensions["redis_client"] = cached
    return cached[1]
