"""Events cross process boundaries through the Redis message queue."""
import queue

import socketio



def _listening_client(base_url: str, token: str) -> tuple[socketio.Client, "queue.Queue[dict]"]:
    received: queue.Queue = queue.Queue()
    client = socketio.Client(reconnection=False)
    client.on("announcement", received.put)
    client.connect(base_url, auth={"token": token}, transports=["websocket"], wait_timeout=10)
    return client, received


def test_event_emitted_by_a_celery_task_reaches_a_browser_client(web, worker, app, db):
    from auction_app.auth.guards import issue_session
    from tests.support.factories import make_user
    from workers.realtime import broadcast_announcement

    with app.test_request_context():
        token = issue_session(make_user(db), "pytest", "127.0.0.1")
    client, received = _listening_client(web, token)
    try:
        with app.app_context():
            broadcast_announcement.delay("Maintenance at 22:00 UTC", "warning")
        event = received.get(timeout=10)
    finally:
        client.disconnect()
    assert event["message"] == "Maintenance at 22:00 UTC"
    assert event["level"] == "warning"
    assert event["server_time"].endswith("+00:00")
