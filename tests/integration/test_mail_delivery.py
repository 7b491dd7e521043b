"""Mail leaves through a Celery worker and reaches a real SMTP server."""


def test_send_email_task_delivers_text_and_html(app, worker, mail_capture):
    from workers.email import send_email

    with app.app_context():
        send_email.delay("reader@example.com", "Your results", "Plain body", "<p>HTML body</p>")
    mail = mail_capture.wait_for("reader@example.com", subject_contains="Your results")
    assert mail.text.strip() == "Plain body"
    assert "<p>HTML body</p>" in mail.html
    assert "no-reply@club-auction.local" in str(mail.message["From"])
