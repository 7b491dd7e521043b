"""Mail leaves through a Celery worker and reaches a real SMTP server."""


def test_send_email_task_delivers_text_and_html(app, worker, mail_capture):
    from workers.email import send_email

    with app.app_context():
        send_email.delay("reader@example.com", "Your results", "Plain body", "<p>HTML body</p>")
    mail = mail_capture.wait_for("reader@example.com", subject_contains="Your results")
    assert mail.text.strip() == "Plain body"
    assert "<p>HTML body</p>" in mail.html
    assert "no-reply@club-auction.local" in str(mail.message["From"])


def test_a_queued_email_shows_no_address_or_body_in_its_task_message(app):
    """Celery prints a task's args in events, logs and error reports: sign-in links must not be there."""
    from celery.signals import before_task_publish

    from workers.email import queue_email

    published = []

    def capture(headers=None, body=None, **_):
        published.append((headers, body))

    before_task_publish.connect(capture)
    try:
        with app.app_context():
            queue_email("secret-person@example.com", "Your sign-in link", "https://x.example/auth/verify?token=TOPSECRET")
    finally:
        before_task_publish.disconnect(capture)
    headers, body = published[0]
    assert "secret-person" not in headers["argsrepr"] and "TOPSECRET" not in headers["argsrepr"]
    assert "1 recipient" in headers["argsrepr"]
    assert "TOPSECRET" in str(body), "the worker itself still gets the whole message"
