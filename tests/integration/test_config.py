"""Production refuses unsafe settings; development runs on safe defaults."""
import pytest

import config

GOOD = {
    "SECRET_KEY": "s" * 40,
    "JWT_SECRET": "j" * 40,
    "MONGO_URL": "mongodb://db.internal:27017/?replicaSet=rs0",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "PUBLIC_BASE_URL": "https://auction.club.example",
}


def test_production_starts_with_real_settings():
    settings = config.load("production", env=GOOD)
    assert settings.SESSION_COOKIE_SECURE is True
    assert settings.PUBLIC_BASE_URL == "https://auction.club.example"


@pytest.mark.parametrize("missing", ["SECRET_KEY", "JWT_SECRET", "MONGO_URL", "REDIS_URL", "PUBLIC_BASE_URL"])
def test_production_refuses_to_start_without(missing):
    env = {k: v for k, v in GOOD.items() if k != missing}
    with pytest.raises(config.ConfigurationError, match=missing):
        config.load("production", env=env)


def test_production_refuses_the_development_secret():
    env = dict(GOOD, SECRET_KEY=config.DEV_SECRET)
    with pytest.raises(config.ConfigurationError, match="SECRET_KEY"):
        config.load("production", env=env)


def test_production_refuses_plain_http_public_url():
    env = dict(GOOD, PUBLIC_BASE_URL="http://auction.club.example")
    with pytest.raises(config.ConfigurationError, match="https"):
        config.load("production", env=env)


def test_create_app_refuses_production_defaults():
    from auction_app import create_app

    with pytest.raises(config.ConfigurationError):
        create_app(config.load("production", env={}))


def test_bad_number_is_a_clear_error():
    with pytest.raises(config.ConfigurationError, match="SESSION_DAYS must be a whole number"):
        config.load("development", env={"SESSION_DAYS": "seven"})


def test_development_defaults_need_no_environment():
    settings = config.load("development", env={})
    assert settings.MONGO_URL.startswith("mongodb://127.0.0.1")
    assert settings.SESSION_COOKIE_SECURE is False


@pytest.mark.parametrize("raw", ["100000,50", "a,b,c", "100000,0,10", "1,2,3,4"])
def test_bad_gc_thresholds_are_a_clear_error(raw):
    with pytest.raises(config.ConfigurationError, match="WEB_GC_THRESHOLDS must be three whole numbers"):
        config.load("development", env={"WEB_GC_THRESHOLDS": raw})


def test_the_web_process_freezes_its_startup_objects_and_collects_young_ones_less_often():
    import gc

    from auction_app import metrics
    from auction_app.gc_tuning import tune_for_many_sockets

    before = gc.get_threshold()
    try:
        tune_for_many_sockets(config.load("development", env={}).WEB_GC_THRESHOLDS)
        assert gc.get_threshold() == (100000, 50, 10)
        assert gc.get_freeze_count() > 10000  # the modules and the app: never scanned again
        paused = metrics.GC_PAUSES.labels("2")
        pauses = _count(paused)
        gc.collect()
        assert _count(paused) == pauses + 1  # every pause is on /metrics
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
        gc.callbacks[:] = [cb for cb in gc.callbacks if cb.__module__ != "auction_app.gc_tuning"]


def _count(histogram) -> float:
    return next(s.value for s in histogram.collect()[0].samples if s.name.endswith("_count"))
