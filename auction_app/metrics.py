"""Prometheus metrics for dashboards and alerts (docs/observability.md).

Web processes expose them at /metrics (token-protected when METRICS_TOKEN is
set); a Celery worker exposes its own on WORKER_METRICS_PORT when that is set.

Several processes: a web process is one gevent worker (`gunicorn -w 1`), so
each pod is scraped on its own and Prometheus sums across pods. A prefork
Celery worker has several pool processes: docker/entrypoint.sh sets
PROMETHEUS_MULTIPROC_DIR and serve_worker_metrics() merges them.
Figures about shared state (queue depth, dependencies up, workers answering,
last backup and restore drill) come from the cached status check
(auction_app/ops/status_cache.py), so a scrape adds no load.
"""
from __future__ import annotations

import logging
import os
import time
from datetime import datetime, timezone

from flask import g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from pymongo import monitoring

HTTP_LATENCY = Histogram(
    "http_request_duration_seconds", "Time to answer an HTTP request", ["method", "endpoint", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
BIDS = Counter("auction_bids_total", "Bids by outcome (accepted, or the refusal code)", ["outcome"])
BID_LATENCY = Histogram("auction_bid_duration_seconds", "Time to decide a bid on the server",
                        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1))
SOCKETS = Gauge("socketio_connections", "Open Socket.IO connections on this process", multiprocess_mode="livesum")
SOCKETS_LIMIT = Gauge("socketio_connections_limit", "Socket.IO connections this process accepts (WEB_CONNECTIONS)",
                      multiprocess_mode="livemax")
SOCKETS_REFUSED = Counter("socketio_connections_refused",
                          "Socket.IO connections refused because WEB_CONNECTIONS were already open")
LOT_CLOSE_DELAY = Histogram("auction_lot_close_delay_seconds", "How long after its clock ran out a lot closed",
                            buckets=(0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30, 60))
AUCTIONS_COMPLETED = Counter("auctions_completed_total", "Auctions completed, by reason", ["reason"])
MONGO_COMMAND_SECONDS = Histogram(
    "mongodb_command_duration_seconds", "MongoDB command round trips seen by pymongo", ["command"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5))
MONGO_COMMAND_FAILURES = Counter("mongodb_command_failures_total", "MongoDB commands that failed", ["command"])
TASK_FAILURES = Counter("celery_task_failures_total", "Celery tasks that failed for good", ["task"])
TASK_RETRIES = Counter("celery_task_retries_total", "Celery task retries", ["task"])
GC_PAUSES = Histogram("python_gc_pause_seconds", "How long a garbage collection stopped this process",
                      ["generation"], buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
MAIL_FAILURES = Counter("mail_send_failures_total", "Attempts to send an email that failed (each retry counts)")

# The command names worth a label of their own; anything else is "other" (bounded cardinality).
_COMMANDS = frozenset({"find", "insert", "update", "delete", "findAndModify", "aggregate", "count",
                       "getMore", "createIndexes", "ping", "hello", "isMaster", "distinct", "drop",
                       "listCollections", "killCursors", "endSessions", "commitTransaction", "abortTransaction"})


def _command(name: str) -> str:
    return name if name in _COMMANDS else "other"


class MongoCommandMetrics(monitoring.CommandListener):
    """pymongo command monitoring: latency of every command and the ones that failed."""

    def started(self, event):
        pass

    def succeeded(self, event):
        MONGO_COMMAND_SECONDS.labels(_command(event.command_name)).observe(event.duration_micros / 1e6)

    def failed(self, event):
        command = _command(event.command_name)
        MONGO_COMMAND_SECONDS.labels(command).observe(event.duration_micros / 1e6)
        MONGO_COMMAND_FAILURES.labels(command).inc()


_listener_registered = False


def register_mongo_listener() -> None:
    """Before any MongoClient is created (create_app calls it first)."""
    global _listener_registered
    if not _listener_registered:
        monitoring.register(MongoCommandMetrics())
        _listener_registered = True


def register_celery_signals() -> None:
    from celery import signals

    @signals.task_failure.connect(weak=False)
    def _failed(sender=None, **_kwargs):
        name = getattr(sender, "name", "unknown")
        TASK_FAILURES.labels(name).inc()
        if name == "workers.email.send_email":
            MAIL_FAILURES.inc()

    @signals.task_retry.connect(weak=False)
    def _retried(sender=None, **_kwargs):
        name = getattr(sender, "name", "unknown")
        TASK_RETRIES.labels(name).inc()
        if name == "workers.email.send_email":
            MAIL_FAILURES.inc()

    @signals.worker_process_shutdown.connect(weak=False)
    def _pool_child_gone(pid=None, **_kwargs):
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(pid or os.getpid())


def open_sockets() -> int:
    """Sockets this process holds open (Linux /proc); 0 where /proc is missing."""
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return 0
    count = 0
    for fd in fds:
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                count += 1
        except OSError:
            continue
    return count


class ServiceCollector:
    """Figures read at scrape time: this process's sockets, and the shared state from the status cache."""

    def __init__(self, app=None):
        self.app = app

    def describe(self):
        return []  # names are dynamic; describing must not run the checks at registration

    def collect(self):
        sockets = GaugeMetricFamily("process_open_sockets", "Sockets open in this process")
        sockets.add_metric([], open_sockets())
        yield sockets
        from auction_app.services import auction_store

        stale = CounterMetricFamily("auction_stale_state_rereads", "Changes decided on this process's copy of "
                                    "an auction that another process had changed, decided again on a fresh read")
        stale.add_metric([], auction_store.stale_rereads())
        yield stale
        if self.app is None:
            return
        from auction_app.ops import status_cache

        try:
            snap = status_cache.snapshot(self.app)
        except Exception:  # noqa: BLE001 — a scrape must never fail because a check did
            logging.getLogger(__name__).warning("status check failed during a scrape", exc_info=True)
            return
        up = GaugeMetricFamily("dependency_up", "1 when the dependency answered the last check", labels=["dependency"])
        up.add_metric(["mongodb"], 1 if snap["database"] == "connected" else 0)
        up.add_metric(["redis"], 1 if snap["redis"] == "connected" else 0)
        yield up
        workers = GaugeMetricFamily("celery_workers", "Celery workers that answered the last ping, by kind "
                                    "(node name before @: general, timers)", labels=["kind"])
        kinds = {"general": 0, "timers": 0}
        for name in snap.get("worker_names", []):
            kind = name.split("@", 1)[0]
            kinds[kind] = kinds.get(kind, 0) + 1
        for kind, count in sorted(kinds.items()):
            workers.add_metric([kind], count)
        yield workers
        depth = GaugeMetricFamily("celery_queue_length", "Tasks waiting in each Celery queue", labels=["queue"])
        for queue, length in sorted(snap.get("queues", {}).items()):
            depth.add_metric([queue], length)
        yield depth
        for name, key, doc in (
                ("backup_last_success_timestamp_seconds", "backup_at", "When the last backup finished"),
                ("restore_drill_last_success_timestamp_seconds", "drill_at", "When the last restore drill passed"),
        ):
            family = GaugeMetricFamily(name, doc)
            if snap.get(key):
                family.add_metric([], snap[key])
            yield family
        maintenance = GaugeMetricFamily("maintenance_mode", "1 while maintenance mode is on")
        maintenance.add_metric([], 1 if snap.get("maintenance") else 0)
        yield maintenance


_collector_registered = False
_SERVICE_COLLECTOR = ServiceCollector(None)


def init_app(app) -> None:
    global _collector_registered
    from prometheus_client import REGISTRY

    if not _collector_registered:
        REGISTRY.register(_SERVICE_COLLECTOR)
        _collector_registered = True
    _SERVICE_COLLECTOR.app = app  # the latest web app built in this process answers for it
    SOCKETS_LIMIT.set(app.config["WEB_CONNECTIONS"])  # beside socketio_connections: how full the process is

    @app.before_request
    def _start_timer():
        g._metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response):
        started = g.pop("_metrics_started", None)
        if started is not None:
            endpoint = request.endpoint or "unmatched"
            HTTP_LATENCY.labels(request.method, endpoint, str(response.status_code)).observe(
                time.perf_counter() - started)
        return response


def observe_bid(accepted: bool, code: str | None, seconds: float) -> None:
    BIDS.labels("accepted" if accepted else code or "refused").inc()
    BID_LATENCY.observe(seconds)


def observe_events(events) -> None:
    """Metrics derived from the engine's events (called wherever effects are carried out)."""
    now = datetime.now(timezone.utc)
    for _auction_id, event, payload in events:
        if event in ("lot_sold", "lot_unsold") and payload.get("ends_at") and payload.get("clock_close"):
            LOT_CLOSE_DELAY.observe(max(0.0, (now - datetime.fromisoformat(payload["ends_at"])).total_seconds()))
        elif event == "auction_completed":
            AUCTIONS_COMPLETED.labels(payload.get("reason", "unknown")).inc()


def exposition() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST


def serve_worker_metrics(port: int) -> None:
    """A worker's /metrics on PORT: every pool process merged when PROMETHEUS_MULTIPROC_DIR is set."""
    from prometheus_client import start_http_server

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(ServiceCollector(None))
        start_http_server(port, registry=registry)
    else:
        from prometheus_client import REGISTRY

        REGISTRY.register(ServiceCollector(None))  # this process's open sockets
        start_http_server(port)
