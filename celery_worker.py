"""Celery entry point: `celery -A celery_worker worker` and `celery -A celery_worker beat`.

The Flask app is built with role="worker": tasks run in its app context and
emit Socket.IO events through the Redis message queue without listening.
"""
from celery.signals import worker_ready

from auction_app import create_app

flask_app = create_app(role="worker")
celery = flask_app.extensions["celery"]


@worker_ready.connect
def _serve_worker_metrics(**_kwargs):
    """Workers only (not beat): Prometheus metrics on WORKER_METRICS_PORT when it is set."""
    port = flask_app.config["WORKER_METRICS_PORT"]
    if port:
        from auction_app.metrics import serve_worker_metrics

        serve_worker_metrics(port)  # merges prefork pool processes via PROMETHEUS_MULTIPROC_DIR
