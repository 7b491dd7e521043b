"""Liveness and readiness of a real web process, including dependencies that are down."""
import time

import requests

from tests.support import services


def test_health_answers_without_touching_dependencies(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_ready_reports_database_redis_and_workers(web, worker):
    body = requests.get(web + "/ready", timeout=5).json()
    assert body["database"] == "connected"
    assert body["redis"] == "connected"
    assert body["workers"] >= 1
    assert body["status"] == "healthy"


def _timed_ready(base):
    started = time.monotonic()
    response = requests.get(base + "/ready", timeout=10)
    return response, time.monotonic() - started


def test_ready_names_redis_when_redis_is_down_and_answers_quickly(service_env, workdir):
    dead = f"redis://127.0.0.1:{services.free_port()}/0"
    env = dict(service_env, REDIS_URL=dead)
    proc, base = services.start_web(env, workdir, name="web-dead-redis")
    try:
        response, elapsed = _timed_ready(base)
    finally:
        services.stop_process(proc)
    assert response.status_code == 503
    body = response.json()
    assert body["redis"] == "unreachable" and body["failing"] == ["redis"]
    assert body["database"] == "connected"
    assert elapsed < 2.0, f"/ready took {elapsed:.2f}s with Redis down"


def test_ready_names_database_when_mongo_is_down_and_answers_quickly(service_env, workdir):
    dead = f"mongodb://127.0.0.1:{services.free_port()}/?directConnection=true"
    env = dict(service_env, MONGO_URL=dead)
    proc, base = services.start_web(env, workdir, name="web-dead-mongo")
    try:
        response, elapsed = _timed_ready(base)
    finally:
        services.stop_process(proc)
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "unreachable" and body["failing"] == ["database"]
    assert body["redis"] == "connected"
    assert elapsed < 2.0, f"/ready took {elapsed:.2f}s with MongoDB down"
