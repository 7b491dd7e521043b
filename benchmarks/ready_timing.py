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
w = Path(tempfile.mkdtemp())
m, murl = services.start_mongo(w); r, rurl, _ = services.start_redis(w)
base_env = dict(os.environ, APP_ENV="testing", MONGO_URL=murl, REDIS_URL=rurl)
for name, env in [("healthy", base_env),
                  ("redis down", dict(base_env, REDIS_URL=f"redis://127.0.0.1:{services.free_port()}/0")),
                  ("mongo down", dict(base_env, MONGO_URL=f"mongodb://127.0.0.1:{services.free_port()}/?directConnection=true"))]:
    p, base = services.start_web(env, w, name=name.replace(" ", "-"))
    times = []
    for _ in range(5):
        t = time.monotonic(); resp = requests.get(base + "/ready", timeout=10); times.append(time.monotonic() - t)
    print(f"{name:11} status {resp.status_code} body {resp.json()}  max {max(times)*1000:.0f} ms")
    services.stop_process(p)
services.stop_process(r); services.stop_process(m)
