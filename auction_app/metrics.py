"""Prometheus metrics for dashboards and alerts (docs/observability.md).

Web processes expose them at /metrics (token-protected when METRICS_TOKEN is
set); a Celery worker exposes its own on WORKER_METRICS_PORT when that is set.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone

from flask import g, request
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

HTTP_LATENCY = Histogram(
    "http_request_duration_seconds", "Time to answer an HTTP request", ["method", "endpoint", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
BIDS = Counter("auction_bids_total", "Bids by outcome (accepted, or the refusal code)", ["outcome"])
BID_LATENCY = Histogram("auction_bid_duration_seconds", "Time to decide a bid on the server",
                        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1))
SOCKETS = Gauge("socketio_connections", "Open Socket.IO connections on this process")
SOCKETS_REFUSED = Counter("socketio_connections_refused",
                          "Socket.IO connections refused because WEB_CONNECTIONS were already open")
LOT_CLOSE_DELAY = Histogram("auction_lot_close_delay_seconds", "How long after its clock ran out a lot closed",
                            buckets=(0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30, 60))
AUCTIONS_COMPLETED = Counter("auctions_completed_total", "Auctions completed, by reason", ["reason"])


def init_app(app) -> None:
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
