"""How fast a revocation reaches an open socket on another web process (not a test: it prints figures).

Starts its own stack (nx-27017, redis-server, two gunicorn+gevent web processes),
opens N sockets on process A (one session each), signs each session out with
an HTTP request to process B, and measures sign-out request sent -> socket
disconnected on A. Prints percentiles.

    .venv/bin/python benchmarks/revocation_bench.py --sockets 50
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
import socketio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import services  # noqa: E402
from tests.support.factories import make_user, session_token  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sockets", type=int, default=50)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="revocation-bench-"))
    mongo_proc, mongo_url = services.start_mongo(workdir)
    redis_proc, redis_url, _ = services.start_redis(workdir)
    port_a = services.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MONGO", "REDIS", "SENTRY"))}
    env.update({"APP_ENV": "testing", "MONGO_URL": mongo_url, "MONGO_DB": "bench", "REDIS_URL": redis_url,
                "PUBLIC_BASE_URL": f"http://127.0.0.1:{port_a}", "PYTHONUNBUFFERED": "1"})
    procs = []
    try:
        import config
        from auction_app import create_app
        from auction_app.db import create_indexes
        from auction_app.extensions import mongo

        app = create_app(config.load("testing", env=env))
        with app.app_context():
            create_indexes(mongo.db)
            db = mongo.db
        proc_a, base_a = services.start_web(env, workdir, name="bench-a", port=port_a)
        proc_b, base_b = services.start_web(env, workdir, name="bench-b")
        procs += [proc_a, proc_b]
        latencies = []
        for _ in range(args.sockets):
            token = session_token(app, make_user(db))
            gone = threading.Event()
            client = socketio.Client(reconnection=False)
            client.on("disconnect", lambda *a, ev=gone: ev.set())
            client.connect(base_a, auth={"token": token}, transports=["websocket"], wait_timeout=10)
            started = time.perf_counter()
            requests.post(f"{base_b}/api/auth/sign-out", headers={"Authorization": f"Bearer {token}"}, timeout=10)
            if gone.wait(10):
                latencies.append((time.perf_counter() - started) * 1000)
            client.disconnect()
        latencies.sort()
        print(f"sockets revoked: {len(latencies)}/{args.sockets}")
        if latencies:
            print(f"sign-out sent on B -> socket closed on A: median {statistics.median(latencies):.1f} ms, "
                  f"p95 {latencies[int(len(latencies) * 0.95) - 1]:.1f} ms, max {latencies[-1]:.1f} ms "
                  f"(includes the sign-out request itself)")
    finally:
        for proc in procs + [redis_proc, mongo_proc]:
            services.stop_process(proc)


if __name__ == "__main__":
    main()
