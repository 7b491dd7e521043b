"""Settings, read from environment variables when the app is created (12-factor).

Three classes: Development, Testing, Production. Each reads os.environ at
instantiation, never at import, so a test or a CLI can change the environment
and build a new app. Production refuses to start on unsafe settings.
"""
from __future__ import annotations

import os
from typing import Mapping

# Values that only ever make sense on a developer's machine. Production refuses them.
DEV_SECRET = "dev-only-secret-change-me-not-for-production"
DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-not-for-production"


class ConfigurationError(RuntimeError):
    """Raised when settings are unsafe or incomplete for the chosen environment."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a whole number, got {raw!r}") from exc


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a number, got {raw!r}") from exc


def _rate(env: Mapping[str, str], name: str, default: str) -> str:
    from limits import parse

    raw = env.get(name) or default
    try:
        parse(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a rate like '120/minute', got {raw!r}") from exc
    return raw


def _gc_thresholds(raw: str) -> tuple[int, int, int]:
    try:
        values = tuple(int(part) for part in raw.split(","))
    except ValueError:
        values = ()
    if len(values) != 3 or min(values) < 1:
        raise ConfigurationError(f"WEB_GC_THRESHOLDS must be three whole numbers above 0 like "
                                 f"'100000,50,10', got {raw!r}")
    return values  # type: ignore[return-value]


class BaseConfig:
    """Every setting the product reads. See docs/configuration.md."""

    ENV_NAME = "base"
    DEBUG = False
    TESTING = False

    def __init__(self, env: Mapping[str, str] | None = None):
        env = os.environ if env is None else env
        self.env = env
        redis_url = env.get("REDIS_URL") or "redis://127.0.0.1:6379/0"

        self.SECRET_KEY = env.get("SECRET_KEY") or DEV_SECRET
        self.JWT_SECRET = env.get("JWT_SECRET") or DEV_JWT_SECRET
        self.JWT_ALGORITHM = "HS256"  # allow-listed; tokens with any other alg are refused
        self.SESSION_DAYS = _int(env, "SESSION_DAYS", 7)
        self.SESSION_COOKIE_NAME = env.get("SESSION_COOKIE_NAME") or "auction_session"
        self.SESSION_COOKIE_SECURE = _bool(env.get("SESSION_COOKIE_SECURE"), True)
        self.MAGIC_LINK_MINUTES = _int(env, "MAGIC_LINK_MINUTES", 15)
        # Wrong 6-digit sign-in code attempts before that code dies (docs/security.md).
        self.SIGN_IN_CODE_ATTEMPTS = _int(env, "SIGN_IN_CODE_ATTEMPTS", 5)
        # A session's last_seen_at is written at most once per this many seconds, not per request.
        self.SESSION_TOUCH_SECONDS = _int(env, "SESSION_TOUCH_SECONDS", 60)

        self.PUBLIC_BASE_URL = (env.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
        self.MONGO_URL = env.get("MONGO_URL") or "mongodb://127.0.0.1:27017/?directConnection=true"
        self.MONGO_DB = env.get("MONGO_DB") or "auction"
        self.MONGO_TIMEOUT_MS = _int(env, "MONGO_TIMEOUT_MS", 5000)
        self.REDIS_URL = redis_url
        self.CELERY_BROKER_URL = env.get("CELERY_BROKER_URL") or redis_url
        self.SOCKETIO_MESSAGE_QUEUE = env.get("SOCKETIO_MESSAGE_QUEUE") or redis_url
        self.SOCKETIO_CHANNEL = env.get("SOCKETIO_CHANNEL") or "auction-socketio"
        self.SOCKETIO_ALLOWED_ORIGINS = [
            o.strip().rstrip("/")
            for o in (env.get("SOCKETIO_ALLOWED_ORIGINS") or self.PUBLIC_BASE_URL).split(",")
            if o.strip()
        ]
        # Largest request body accepted (uploads: feedback screenshots 2 MB, fixture files 1 MB).
        self.MAX_CONTENT_LENGTH = _int(env, "MAX_UPLOAD_BYTES", 4 * 1024 * 1024)
        self.RATELIMIT_ENABLED = _bool(env.get("RATELIMIT_ENABLED"), True)
        # Bids per member (auction_app/auction/ratelimit.py), in the `limits` notation.
        self.BID_RATE_LIMIT = _rate(env, "BID_RATE_LIMIT", "120/minute")
        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI") or redis_url
        # A Redis outage must not turn every page into a 500: limits are skipped
        # (and logged) until Redis is back; /ready reports the outage.
        self.RATELIMIT_SWALLOW_ERRORS = True
        self.RATELIMIT_HEADERS_ENABLED = True
        self.HEALTH_TIMEOUT_SECONDS = _float(env, "HEALTH_TIMEOUT_SECONDS", 1.0)

        self.MAIL_SERVER = env.get("MAIL_SERVER") or "127.0.0.1"
        self.MAIL_PORT = _int(env, "MAIL_PORT", 1025)
        self.MAIL_USE_TLS = _bool(env.get("MAIL_USE_TLS"), False)
        self.MAIL_USE_SSL = _bool(env.get("MAIL_USE_SSL"), False)
        self.MAIL_USERNAME = env.get("MAIL_USERNAME") or None
        self.MAIL_PASSWORD = env.get("MAIL_PASSWORD") or None
        self.MAIL_DEFAULT_SENDER = env.get("MAIL_DEFAULT_SENDER") or "Club Auction <no-reply@club-auction.local>"
        # Flask-Mail would silently drop mail when TESTING is on; tests capture real SMTP instead.
        self.MAIL_SUPPRESS_SEND = False
        self.MAIL_TIMEOUT_SECONDS = _int(env, "MAIL_TIMEOUT_SECONDS", 20)
        self.SUPPORT_EMAIL = env.get("SUPPORT_EMAIL") or "support@club-auction.local"
        self.MAILCATCHER_DIR = env.get("MAILCATCHER_DIR") or os.path.abspath("var/mail")

        self.SENTRY_DSN = env.get("SENTRY_DSN") or None
        self.SENTRY_TRACES_SAMPLE_RATE = _float(env, "SENTRY_TRACES_SAMPLE_RATE", 0.1)
        self.SENTRY_ENVIRONMENT = env.get("SENTRY_ENVIRONMENT") or self.ENV_NAME
        self.RELEASE = env.get("RELEASE") or "dev"

        # Prometheus: /metrics needs this Bearer token when set (required to serve it in production);
        # a worker serves its own metrics on WORKER_METRICS_PORT when set.
        self.METRICS_TOKEN = env.get("METRICS_TOKEN") or None
        self.WORKER_METRICS_PORT = _int(env, "WORKER_METRICS_PORT", 0)

        self.LOT_SWEEP_SECONDS = _float(env, "LOT_SWEEP_SECONDS", 1.0)
        self.TOKEN_CLEANUP_SECONDS = _int(env, "TOKEN_CLEANUP_SECONDS", 300)
        self.BACKUP_DIR = env.get("BACKUP_DIR") or os.path.abspath("var/backups")
        self.BACKUP_KEEP = _int(env, "BACKUP_KEEP", 7)
        self.BACKUP_HOUR_UTC = _int(env, "BACKUP_HOUR_UTC", 3)
        self.PRACTICE_RETENTION_DAYS = _int(env, "PRACTICE_RETENTION_DAYS", 7)

        # --- Security hardening (issue 10; docs/security.md) ---------------------------------
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are believed
        # (0 = none: the peer address is the client). The Kubernetes ingress makes it 1.
        self.TRUSTED_PROXIES = _int(env, "TRUSTED_PROXIES", 0)
        # Per-address sign-in limits: a backstop sized for a clubhouse on one Wi-Fi (the
        # per-email limit, 3 links an hour, is the abuse protection).
        self.SIGN_IN_LINKS_PER_IP_PER_HOUR = _int(env, "SIGN_IN_LINKS_PER_IP_PER_HOUR", 150)
        self.SIGN_IN_CODES_PER_IP_PER_10_MINUTES = _int(env, "SIGN_IN_CODES_PER_IP_PER_10_MINUTES", 150)
        # A session not used for this long ends (beside the absolute SESSION_DAYS lifetime).
        self.SESSION_IDLE_HOURS = _int(env, "SESSION_IDLE_HOURS", 24)
        # Open sockets learn of revocations at once (pushed over Redis); this re-check is only
        # the fallback for a lost message (e.g. while Redis reconnects).
        self.SOCKET_SESSION_RECHECK_SECONDS = _int(env, "SOCKET_SESSION_RECHECK_SECONDS", 300)
        # Socket `join_auction`/`sync` calls allowed per connection per 10 seconds.
        self.SOCKET_SYNC_PER_10_SECONDS = _int(env, "SOCKET_SYNC_PER_10_SECONDS", 10)
        # A room refused by a full web process (server_full) tries again after about this long.
        self.SOCKET_FULL_RETRY_SECONDS = _float(env, "SOCKET_FULL_RETRY_SECONDS", 20.0)
        # Invitation emails per member per day; lower for accounts younger than a week.
        self.INVITATIONS_PER_DAY = _int(env, "INVITATIONS_PER_DAY", 100)
        self.INVITATIONS_PER_DAY_NEW_ACCOUNT = _int(env, "INVITATIONS_PER_DAY_NEW_ACCOUNT", 20)
        # Identical error reports (same exception and place) are sent at most once per this many seconds.
        self.SENTRY_DUPLICATE_SECONDS = _int(env, "SENTRY_DUPLICATE_SECONDS", 600)

        # ---- Production operations (issue 12): logs, web sockets, status cache, backups, lifecycle ----
        # See docs/configuration.md ("Operations") and docs/observability.md.
        self.LOG_FORMAT = (env.get("LOG_FORMAT") or "json").lower()
        if self.LOG_FORMAT not in ("json", "text"):
            raise ConfigurationError(f"LOG_FORMAT must be json or text, got {self.LOG_FORMAT!r}")
        self.LOG_LEVEL = (env.get("LOG_LEVEL") or "INFO").upper()
        self.ACCESS_LOG = _bool(env.get("ACCESS_LOG"), True)
        # Open Socket.IO connections one web process accepts; the next one is refused with a clear
        # error (code "server_full", docs/performance.md) instead of hanging. gunicorn's
        # --worker-connections is set a little above it (docker/entrypoint.sh) so the refusal is answered.
        self.WEB_CONNECTIONS = _int(env, "WEB_CONNECTIONS", 5000)
        # permessage-deflate on WebSockets: off, as socket.io's own server has it (memory and CPU per
        # socket for ~300 bytes saved per event; auction_app/sockets.py, DeclineWebSocketCompression).
        self.WEBSOCKET_COMPRESSION = _bool(env.get("WEBSOCKET_COMPRESSION"), False)
        self.WEB_GC_THRESHOLDS = _gc_thresholds(env.get("WEB_GC_THRESHOLDS") or "100000,50,10")
        # /ready, /api/status and the metrics answer from a check at most this old (one check per process).
        self.STATUS_CACHE_SECONDS = _float(env, "STATUS_CACHE_SECONDS", 5.0)
        self.STATUS_RATE_LIMIT = env.get("STATUS_RATE_LIMIT") or "60 per minute"
        self.ANNOUNCEMENT_HOURS = _int(env, "ANNOUNCEMENT_HOURS", 24)
        self.BACKUP_KEEP_DAILY = _int(env, "BACKUP_KEEP_DAILY", 7)
        self.BACKUP_KEEP_WEEKLY = _int(env, "BACKUP_KEEP_WEEKLY", 4)
        self.BACKUP_ENCRYPTION_KEY = env.get("BACKUP_ENCRYPTION_KEY") or None
        self.BACKUP_RCLONE_REMOTE = env.get("BACKUP_RCLONE_REMOTE") or None
        self.BACKUP_RCLONE_CONFIG = env.get("BACKUP_RCLONE_CONFIG") or None
        self.LEAGUE_ARCHIVE_DAYS = _int(env, "LEAGUE_ARCHIVE_DAYS", 90)
        self.AUDIT_RETENTION_DAYS = _int(env, "AUDIT_RETENTION_DAYS", 365)
        self.FEEDBACK_RETENTION_DAYS = _int(env, "FEEDBACK_RETENTION_DAYS", 180)
        self.ANNOUNCEMENT_RETENTION_DAYS = _int(env, "ANNOUNCEMENT_RETENTION_DAYS", 90)

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k.isupper()} | {
            "ENV_NAME": self.ENV_NAME,
            "DEBUG": self.DEBUG,
            "TESTING": self.TESTING,
        }

    def validate(self) -> None:
        """Development and testing accept the defaults."""


class Development(BaseConfig):
    ENV_NAME = "development"
    DEBUG = True

    def __init__(self, env=None):
        super().__init__(env)
        # Plain http on localhost: a Secure cookie would never be sent back.
        self.SESSION_COOKIE_SECURE = _bool(self.env.get("SESSION_COOKIE_SECURE"), False)
        # Plain text logs are easier to read in a terminal; production and tests log JSON.
        self.LOG_FORMAT = (self.env.get("LOG_FORMAT") or "text").lower()


class Testing(Development):
    ENV_NAME = "testing"
    DEBUG = False
    TESTING = True

    def __init__(self, env=None):
        super().__init__(env)
        self.LOG_FORMAT = (self.env.get("LOG_FORMAT") or "json").lower()


class Production(BaseConfig):
    ENV_NAME = "production"

    def validate(self) -> None:
        problems = []
        if self.SECRET_KEY == DEV_SECRET or len(self.SECRET_KEY) < 32:
            problems.append("SECRET_KEY must be set to a random value of at least 32 characters")
        if self.JWT_SECRET == DEV_JWT_SECRET or len(self.JWT_SECRET) < 32:
            problems.append("JWT_SECRET must be set to a random value of at least 32 characters")
        if self.JWT_SECRET == self.SECRET_KEY:
            problems.append("JWT_SECRET must differ from SECRET_KEY")
        for name in ("MONGO_URL", "REDIS_URL", "PUBLIC_BASE_URL"):
            if not self.env.get(name):
                problems.append(f"{name} must be set")
        if not self.PUBLIC_BASE_URL.startswith("https://"):
            problems.append("PUBLIC_BASE_URL must be an https:// address")
        if problems:
            raise ConfigurationError("Refusing to start in production: " + "; ".join(problems))


CONFIGS = {"development": Development, "testing": Testing, "production": Production}


def load(name: str | None = None, env: Mapping[str, str] | None = None) -> BaseConfig:
    """Build and validate the settings for APP_ENV (default: development)."""
    env = os.environ if env is None else env
    name = (name or env.get("APP_ENV") or "development").lower()
    if name not in CONFIGS:
        raise ConfigurationError(f"APP_ENV must be one of {sorted(CONFIGS)}, got {name!r}")
    settings = CONFIGS[name](env)
    settings.validate()
    return settings
