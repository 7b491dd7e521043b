"""Club Auction: live auction leagues for sports clubs.

create_app() is the only way to build the Flask app. It binds extensions and
blueprints; it never touches the database (indexes are a CLI command).
"""
from __future__ import annotations

from flask import Flask

import config as settings_module
from auction_app import cli, errors, logging_setup, metrics, observability, realtime, security
from auction_app.extensions import limiter, mail, mongo, socketio


def create_app(config: settings_module.BaseConfig | str | None = None, *, role: str = "web",
               overrides: dict | None = None) -> Flask:
    """Build the app.

    config: a settings object, an environment name, or None for $APP_ENV.
    role: "web" serves HTTP and Socket.IO; "worker" is a Celery process, which
    emits Socket.IO events through the message queue but never listens.
    """
    if not isinstance(config, settings_module.BaseConfig):
        config = settings_module.load(config)
    app = Flask(__name__)
    app.config.from_mapping(config.as_dict())
    app.config.update(overrides or {})
    app.config["ROLE"] = role
    # JSON log lines with request/task ids (docs/observability.md); X-Request-ID echoed back.
    logging_setup.init_app(app, role)

    observability.init_sentry(app, role)
    metrics.register_mongo_listener()  # before the MongoClient exists: command latency and failures
    mongo.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    if role == "web":
        socketio.init_app(
            app,
            message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"],
            channel=app.config["SOCKETIO_CHANNEL"],
            cors_allowed_origins=app.config["SOCKETIO_ALLOWED_ORIGINS"],
        )
    realtime.init_app(app, role)
    from auction_app import state_sharing
    from auction_app.services import auction_store

    auction_store.share_commits_with(state_sharing.publish)  # keeps other processes' cached states fresh
    if role == "web":
        from auction_app import sockets  # handlers attach to socketio
        import auction_app.chat.lobby  # noqa: F401  (league page lobby)
        import auction_app.chat.sockets  # noqa: F401  (room chat and reactions)

        sockets.add_transport_route(app)
        if not app.config["WEBSOCKET_COMPRESSION"]:
            app.wsgi_app = sockets.DeclineWebSocketCompression(app.wsgi_app)

        metrics.init_app(app)
        from auction_app.ops import maintenance

        maintenance.init_app(app)  # writes answer 503 while `flask maintenance on`
    else:
        metrics.register_celery_signals()

    from workers import celery_init_app

    celery_init_app(app)
    _register_blueprints(app)
    errors.init_app(app)
    cli.init_app(app)
    if app.config.get("TRUSTED_PROXIES", 0) > 0:
        # Outermost, so HTTP and the Socket.IO handshake both see the member's address and scheme.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app


def _register_blueprints(app: Flask) -> None:
    from auction_app.ops import bp as ops_bp

    app.register_blueprint(ops_bp)
    # Sign-in, sessions, account and admin pages and API (issue 3); CSRF + security headers.
    from auction_app import auth

    auth.init_app(app)
    security.init_app(app)
    # Leagues, invitations, membership and proxy maximums API (issue 4).
    from auction_app.leagues import bp as leagues_bp

    app.register_blueprint(leagues_bp)
    # The live auction: REST, Socket.IO room, results and exports (issue 4).
    from auction_app.auction import bp as auction_bp

    app.register_blueprint(auction_bp)
    from auction_app.standings import bp as standings_bp  # fixtures, scoring, live standings (issue 6)

    app.register_blueprint(standings_bp)
    # Pages for people: dashboard, league, auction room, results, guides, feedback (issue 5).
    from auction_app.web import bp as web_bp

    app.register_blueprint(web_bp)
    if app.config["ENV_NAME"] == "development":
        # The caught-mail page exists only on a developer's machine.
        from auction_app.devmail import bp as devmail_bp

        app.register_blueprint(devmail_bp)
