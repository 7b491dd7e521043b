"""How fast /ready answers when everything is up, when Redis is down and when MongoDB is down.

Starts nx-27017, redis-server and a gunicorn+gevent web process per case (no
Celery worker, so "workers" is 0) and prints the status, body and slowest of 5
answers. Run: .venv/bin/python benchmarks/ready_timing.py
"""
import os
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support import services  # noqa: E402


def slowest_answer(env: dict, workdir: Path, name: str, tries: int = 5):
    proc, base = services.start_web(env, workdir, name=name)
    try:
        times = []
        for _ in range(tries):
            started = time.monotonic()
            response = requests.get(base + "/ready", timeout=10)
            times.append(time.monotonic() - started)
        return response, max(times)
    finally:
        services.stop_process(proc)


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="ready-timing-"))
    mongo, mongo_url = services.start_mongo(workdir)
    redis_proc, redis_url, _ = services.start_redis(workdir)
    try:
        up = dict(os.environ, APP_ENV="testing", MONGO_URL=mongo_url, REDIS_URL=redis_url)
        dead_redis = f"redis://127.0.0.1:{services.free_port()}/0"
        dead_mongo = f"mongodb://127.0.0.1:{services.free_port()}/?directConnection=true"
        cases = [("healthy", up), ("redis-down", dict(up, REDIS_URL=dead_redis)),
                 ("mongo-down", dict(up, MONGO_URL=dead_mongo))]
        for name, env in cases:
            response, slowest = slowest_answer(env, workdir, name)
            print(f"{name:11} status {response.status_code} slowest {slowest * 1000:5.0f} ms  {response.json()}")
    finally:
        services.stop_process(redis_proc)
        services.stop_process(mongo)


if __name__ == "__main__":
    main()
