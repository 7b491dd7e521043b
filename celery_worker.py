"""Celery entry point: `celery -A celery_worker worker` and `celery -A celery_worker beat`.

The Flask app is built with role="worker": tasks run in its app context and
emit Socket.IO events through the Redis message queue without listening.
"""
from auction_app import create_app

flask_app = create_app(role="worker")
celery = flask_app.extensions["celery"]
