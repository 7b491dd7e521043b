"""Session-wide real services. See tests/support/services.py."""
from __future__ import annotations

import os

import pytest
import redis as redis_lib

from tests.support import services


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("services")


@pytest.fixture(scope="session")
def mongo_url(workdir):
    proc, url = services.start_mongo(workdir)
    yield url
    services.stop_process(proc)


@pytest.fixture(scope="session")
def redis_url(workdir):
    proc, url, _port = services.start_redis(workdir)
    yield url
    services.stop_process(proc)


@pytest.fixture(scope="session")
def mail_capture():
    controller, capture = services.start_mail_capture()
    yield capture
    controller.stop()


@pytest.fixture(scope="session")
def web_port():
    return services.free_port()


@pytest.fixture(scope="session")
def service_env(mongo_url, redis_url, mail_capture, web_port, workdir):
    """The environment every process of the test stack shares."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MONGO", "REDIS", "MAIL_", "SENTRY"))}
    env.update({
        "APP_ENV": "testing",
        "MONGO_URL": mongo_url,
        "MONGO_DB": "auction_test",
        "REDIS_URL": redis_url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(mail_capture.port),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{web_port}",
        "BACKUP_DIR": str(workdir / "backups"),
        "PYTHONUNBUFFERED": "1",
    })
    return env


@pytest.fixture(scope="session")
def settings(service_env):
    import config

    return config.load("testing", env=service_env)


@pytest.fixture(scope="session")
def app(settings):
    from auction_app import create_app
    from auction_app.db import create_indexes
    from auction_app.extensions import mongo

    flask_app = create_app(settings)
    with flask_app.app_context():
        create_indexes(mongo.db)
    return flask_app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    """The test database handle. No app context is left open: test-client requests
    must each get their own (and their own `g`), exactly as in production."""
    from auction_app.extensions import mongo

    with app.app_context():
        handle = mongo.db
    return handle


@pytest.fixture
def scratch_db(db):
    """An empty database of its own, for tests that replace whole databases."""
    import uuid

    name = f"scratch_{uuid.uuid4().hex[:8]}"
    yield db.client[name]
    db.client.drop_database(name)


@pytest.fixture(scope="session")
def redis_client(redis_url):
    client = redis_lib.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture(autouse=True)
def reset_rate_limits(request):
    """Each test starts with fresh rate-limit counters (and nothing else reset)."""
    if "redis_url" not in request.fixturenames and "app" not in request.fixturenames:
        yield
        return
    client = request.getfixturevalue("redis_client")
    for key in client.scan_iter("LIMITS*"):
        client.delete(key)
    yield


@pytest.fixture(scope="session")
def celery_app(app):
    return app.extensions["celery"]


class WorkerProcess:
    """A real Celery worker process that a test may kill and start again."""

    def __init__(self, env, workdir, celery_app, name, queues):
        self.env, self.workdir, self.celery_app, self.name, self.queues = env, workdir, celery_app, name, queues
        self.proc = None
        self.generation = 0

    def start(self):
        self.generation += 1
        node = f"{self.name}g{self.generation}"
        self.proc = services.start_worker(self.env, self.workdir, name=node, queues=self.queues)
        services.wait_for_worker(self.celery_app, node)
        return self

    def kill(self):
        import signal

        services.stop_process(self.proc, sig=signal.SIGKILL)

    def stop(self):
        services.stop_process(self.proc)


@pytest.fixture(scope="session")
def worker(service_env, workdir, celery_app, app):
    """Real Celery workers: one for default/email/maintenance, one for lot timers."""
    general = WorkerProcess(service_env, workdir, celery_app, "general", "clock,default,email,maintenance").start()
    timers = WorkerProcess(service_env, workdir, celery_app, "timers", "timers,clock").start()
    yield {"general": general, "timers": timers}
    timers.stop()
    general.stop()


@pytest.fixture(scope="session")
def beat(service_env, workdir, worker):
    """Exactly one celery beat, as in production (it drives the lot-clock sweep)."""
    proc = services.start_beat(service_env, workdir)
    yield proc
    services.stop_process(proc)


@pytest.fixture(scope="session")
def web(service_env, workdir, web_port, app):
    """A real gunicorn + gevent web process; yields its base URL."""
    proc, base = services.start_web(service_env, workdir, port=web_port)
    yield base
    services.stop_process(proc)


@pytest.fixture(scope="session")
def catalogs(app):
    """The bundled sports catalogs (Premier League, IPL...) loaded into the test database."""
    from auction_app.domain.catalog import bundled_catalog_paths, load_catalog
    from auction_app.extensions import mongo
    from auction_app.repositories import sports

    loaded = [load_catalog(path) for path in bundled_catalog_paths()]
    with app.app_context():
        for catalog in loaded:
            sports.upsert(mongo.db, catalog)
    return {c.key: c for c in loaded}
