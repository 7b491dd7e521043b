"""Celery's Redis transport, made to survive a Redis restart.

When the broker connection drops while a worker holds unacknowledged messages (a
timer worker always does: lot triggers wait for their time in its memory), kombu
tries to hand them back over the connection that just died and the worker exits
with "Unrecoverable error: AttributeError('NoneType' object has no attribute
'hostname')". Redis itself keeps unacknowledged messages and gives them back after
the visibility timeout, and the lot clocks never depend on a trigger (the 1-second
sweep reads the database), so this transport logs the failed hand-back and lets the
worker reconnect instead. Registered as the `redis://` transport by `register()`.
"""
from __future__ import annotations

import logging

from kombu import transport
from kombu.transport import redis as kombu_redis

log = logging.getLogger(__name__)


class QoS(kombu_redis.QoS):
    def restore_unacked_once(self, stderr=None):
        try:
            return super().restore_unacked_once(stderr)
        except (AttributeError, OSError, kombu_redis.redis.exceptions.ConnectionError) as exc:
            log.warning("broker connection lost with %d unacknowledged message(s); Redis hands them back after "
                        "the visibility timeout (%s)", len(self._delivered), type(exc).__name__)
            self._delivered.restored = True
            return None


class Channel(kombu_redis.Channel):
    QoS = QoS


class Transport(kombu_redis.Transport):
    Channel = Channel


def register() -> None:
    """Use this transport for every `redis://` broker URL in this process."""
    transport.TRANSPORT_ALIASES["redis"] = f"{__name__}:Transport"
