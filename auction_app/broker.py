"""Celery's Redis transport, made to survive a Redis restart.

When the broker connection drops while a worker holds unacknowledged messages (a
timer worker always does: lot triggers wait for their time in its memory), kombu
tries to hand them back over the connection that just died and the worker exits
with "Unrecoverable error: AttributeError('NoneType' object has no attribute
'hostname')". Redis itself keeps unacknowledged messages and gives them back after
the visibility timeout, and the lot clocks never depend on a trigger (the 1-second
sweep reads the database), so this transport logs the failed hand-back and lets the
worker reconnect instead.

A task that finishes after its connection was closed hits the same hole: its
acknowledgement goes through a channel with no connection, and kombu exits the worker
with "AttributeError('NoneType' object has no attribute 'client')". This transport sends
that acknowledgement to Redis on a connection of its own instead, so the task is not run
a second time after the visibility timeout. Registered as the `redis://` transport by
`register()`.
"""
from __future__ import annotations

import logging

import redis
from kombu import transport
from kombu.transport import virtual
from kombu.transport import redis as kombu_redis

log = logging.getLogger(__name__)


class QoS(kombu_redis.QoS):
    def __init__(self, channel, *args, **kwargs):
        super().__init__(channel, *args, **kwargs)
        # Where this channel's Redis is, kept for the acknowledgements that arrive after
        # the channel lost its connection (kombu forgets it on close).
        self._redis_params = channel._connparams()

    def restore_unacked_once(self, stderr=None):
        try:
            return super().restore_unacked_once(stderr)
        except (AttributeError, OSError, redis.exceptions.ConnectionError) as exc:
            log.warning("broker connection lost with %d unacknowledged message(s); Redis hands them back after "
                        "the visibility timeout (%s)", len(self._delivered), type(exc).__name__)
            self._delivered.restored = True
            return None

    def ack(self, delivery_tag):
        if self.channel.connection is not None:
            return super().ack(delivery_tag)
        try:
            with redis.Redis(connection_pool=redis.ConnectionPool(**self._redis_params)) as client:
                self._remove_from_indices(delivery_tag, client.pipeline()).execute()
        except (OSError, redis.exceptions.RedisError) as exc:
            log.warning("could not acknowledge message %s after its broker connection closed (%s); "
                        "Redis delivers it again after the visibility timeout", delivery_tag, type(exc).__name__)
        virtual.QoS.ack(self, delivery_tag)

    def reject(self, delivery_tag, requeue=False):
        if self.channel.connection is not None:
            return super().reject(delivery_tag, requeue=requeue)
        # Requeueing needs the closed channel's routing; Redis still holds the message as
        # unacknowledged and delivers it again after the visibility timeout.
        log.warning("message %s rejected after its broker connection closed; Redis delivers it again",
                    delivery_tag)
        virtual.QoS.ack(self, delivery_tag)


class Channel(kombu_redis.Channel):
    QoS = QoS


class Transport(kombu_redis.Transport):
    Channel = Channel


def register() -> None:
    """Use this transport for every `redis://` broker URL in this process."""
    transport.TRANSPORT_ALIASES["redis"] = f"{__name__}:Transport"
