"""The Celery broker transport (auction_app/broker.py): a worker whose Redis restarts
reconnects and goes on, it never exits. The whole-stack version of this is
tests/integration/test_auction_faults.py; here the moment that killed workers there is
made to happen every time.
"""
from __future__ import annotations

import signal
import time

import redis
from celery import Celery

from tests.support import services


def test_tasks_finishing_while_redis_is_down_are_acknowledged_and_the_worker_goes_on(service_env, tmp_path):
    """Tasks running when Redis dies finish during the outage, so their acknowledgements reach
    a channel that has lost its connection. Before the fix the worker exited ("Unrecoverable
    error: AttributeError"); now it acknowledges them on a connection of its own, so they do
    not run again, and it takes new tasks."""
    redis_proc, redis_url, redis_port = services.start_redis(tmp_path, persist=True)
    worker = services.spawn([str(services.VENV_BIN / "celery"), "-A", "tests.support.celery_probe", "worker",
                             "-Q", "probe", "-n", "probe@%h", "--pool=threads", "--concurrency=4",
                             "--loglevel=INFO", "--without-gossip", "--without-mingle"],
                            tmp_path / "probe-worker.log", dict(service_env, REDIS_URL=redis_url))
    client = Celery(broker=redis_url, set_as_current=False)  # the session's app stays the current one
    store = redis.Redis.from_url(redis_url)
    try:
        send(client, "probe.mark", "ready")
        wait_for(lambda: store.get("ready"), "the worker takes tasks", worker)
        for i in range(3):
            send(client, "probe.hold", f"hold{i}", 2.0)
        wait_for(lambda: all(store.get(f"hold{i}:started") for i in range(3)), "the tasks are running", worker)
        assert store.hlen("unacked") == 3, "Redis holds the running tasks until they are acknowledged"

        services.stop_process(redis_proc, sig=signal.SIGKILL)
        time.sleep(3.0)  # the tasks finish while Redis is down
        redis_proc, _, _ = services.start_redis(tmp_path, port=redis_port, persist=True)

        def marked_after_the_outage():
            try:
                send(client, "probe.mark", "after")
                time.sleep(0.5)
                return store.get("after")
            except redis.exceptions.ConnectionError:
                return False  # the clients reconnect on the next try

        wait_for(marked_after_the_outage, "the worker takes tasks after Redis came back", worker, timeout=30)
        wait_for(lambda: store.hlen("unacked") == 0,
                 "the tasks that finished during the outage are acknowledged (else they run again)", worker)
        assert worker.poll() is None, services.log_tail(worker)
    finally:
        services.stop_process(worker)
        services.stop_process(redis_proc)


def send(client: Celery, task: str, *args) -> None:
    client.send_task(task, args=list(args), queue="probe")


def wait_for(condition, what: str, worker, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert worker.poll() is None, f"the worker exited ({what}):\n{services.log_tail(worker)}"
        assert time.monotonic() < deadline, f"timed out: {what}\n{services.log_tail(worker)}"
        time.sleep(0.1)
