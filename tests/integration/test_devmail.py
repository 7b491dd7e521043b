"""The caught-mail page helps a newcomer sign in locally, and exists only in development."""
import config
from auction_app.devmail.mailbox import list_messages, store


def test_caught_mail_page_lists_messages_with_links_in_development(service_env, tmp_path):
    from flask import Flask

    from auction_app.devmail import bp

    raw = (b"From: a@example.com\r\nTo: b@example.com\r\nSubject: Sign in\r\n\r\n"
           b"Open http://127.0.0.1:5000/auth/verify?token=abc to sign in.\r\n")
    store(tmp_path, raw)
    messages = list_messages(tmp_path)
    assert messages[0].links == ["http://127.0.0.1:5000/auth/verify?token=abc"]

    app = Flask("devmail-test", template_folder="../../auction_app/templates")
    import auction_app

    app.template_folder = auction_app.__path__[0] + "/templates"
    app.static_folder = auction_app.__path__[0] + "/static"
    app.config.update(MAILCATCHER_DIR=str(tmp_path), SUPPORT_EMAIL="s@example.com")
    app.register_blueprint(bp)
    page = app.test_client().get("/dev/mail/")
    assert page.status_code == 200
    assert b"http://127.0.0.1:5000/auth/verify?token=abc" in page.data


def test_caught_mail_page_does_not_exist_outside_development(client):
    assert client.get("/dev/mail/").status_code == 404


def test_development_app_has_the_page(service_env):
    from auction_app import create_app

    settings = config.load("development", env=service_env)
    app = create_app(settings)
    rules = {r.rule for r in app.url_map.iter_rules()}
    assert "/dev/mail/" in rules
