"""Alert rules as code: promtool checks and unit-tests them, and every metric the
rules and the Grafana dashboard use exists on a running stack's /metrics."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import time

import pytest
import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.support import services

MONITORING = services.ROOT / "monitoring"
RULES = MONITORING / "prometheus" / "alerts.yml"
RULE_TESTS = MONITORING / "prometheus" / "tests" / "alerts_test.yml"
DASHBOARD = MONITORING / "grafana" / "club-auction.json"

PROMQL_WORDS = {
    "sum", "min", "max", "avg", "count", "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
    "unless", "bool", "rate", "irate", "increase", "histogram_quantile", "clamp_min", "clamp_max", "time", "absent",
    "offset", "topk", "bottomk", "le", "inf", "nan", "e",
}
# Series Prometheus makes itself, not the app.
BUILT_IN = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}


def promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool is missing: bin/install --browser installs Debian's prometheus package"
    return found


def metric_names(expr: str) -> set[str]:
    """Metric names used in a PromQL expression (label matchers, strings, ranges and groupings removed)."""
    text = re.sub(r'"[^"]*"', "", expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        word = match.group(0)
        following = text[match.end():].lstrip()[:1]
        if word.lower() in PROMQL_WORDS or following == "(":
            continue
        names.add(word)
    return names - BUILT_IN


def rule_exprs() -> dict[str, str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {rule["alert"]: rule["expr"] for group in groups for rule in group["rules"]}


def dashboard_exprs() -> dict[str, str]:
    board = json.loads(DASHBOARD.read_text())
    return {f"{panel['title']}/{t['refId']}": t["expr"] for panel in board["panels"] for t in panel["targets"]}


def exposed_names(text: str) -> set[str]:
    names = set()
    for family in text_string_to_metric_families(text):
        base = family.name
        suffixes = {"counter": ["_total", "_created"], "histogram": ["_bucket", "_count", "_sum", "_created"],
                    "summary": ["_count", "_sum", "_created"]}.get(family.type, [""])
        names.update(base + suffix for suffix in suffixes)
        names.update(sample.name for sample in family.samples)
    return names


def test_rules_pass_promtool_check_and_their_unit_tests():
    checked = subprocess.run([promtool(), "check", "rules", str(RULES)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run([promtool(), "test", "rules", str(RULE_TESTS)], capture_output=True, text=True,
                            timeout=240)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_alert_the_issue_asks_for_exists_and_fires_in_a_unit_test():
    alerts = set(rule_exprs())
    for wanted in ("HighServerErrorRatio", "SlowBids", "LotCloseLag", "NoTimerWorkers", "NoGeneralWorkers",
                   "CeleryQueueBacklog", "BackupTooOld", "RedisDown", "MongoDown", "TaskFailures"):
        assert wanted in alerts
    cases = [case for test in yaml.safe_load(RULE_TESTS.read_text())["tests"] for case in test["alert_rule_test"]]
    fired = {case["alertname"] for case in cases if case["exp_alerts"]}
    quiet = {case["alertname"] for case in cases if not case["exp_alerts"]}
    assert alerts <= fired, f"alerts never shown firing: {alerts - fired}"
    assert len(quiet) >= 10, "most alerts are also shown staying quiet"


def test_dashboard_is_valid_grafana_json_covering_the_alerted_figures():
    board = json.loads(DASHBOARD.read_text())
    assert board["uid"] == "club-auction" and board["panels"]
    used = set().union(*(metric_names(e) for e in dashboard_exprs().values()))
    alerted = set().union(*(metric_names(e) for e in rule_exprs().values()))
    assert alerted <= used, f"figures alerted on but not on the dashboard: {alerted - used}"


@pytest.fixture(scope="module")
def timers_worker_metrics(service_env, workdir):
    """The image's worker-timers role with its metrics port (and a Redis of its own)."""
    redis_proc, redis_url, _ = services.start_redis(workdir)
    port = services.free_port()
    env = dict(service_env, REDIS_URL=redis_url, WORKER_METRICS_PORT=str(port), TMPDIR=str(workdir),
               PATH=f"{services.VENV_BIN}:{service_env.get('PATH', '')}")
    proc = services.spawn([str(services.ROOT / "docker" / "entrypoint.sh"), "worker-timers"],
                          workdir / "metrics-timers.log", env)
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(url, timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, (workdir / "metrics-timers.log").read_text()
            time.sleep(0.3)
        yield url
    finally:
        services.stop_process(proc)
        services.stop_process(redis_proc)


def test_every_metric_in_the_rules_and_dashboard_is_on_the_live_stack(web, worker, timers_worker_metrics):
    web_text = requests.get(web + "/metrics", timeout=10).text
    worker_text = requests.get(timers_worker_metrics, timeout=10).text
    live = exposed_names(web_text) | exposed_names(worker_text)
    for where, exprs in (("alert rules", rule_exprs()), ("dashboard", dashboard_exprs())):
        for name, expr in exprs.items():
            missing = metric_names(expr) - live
            assert not missing, f"{where} {name} uses metrics no process exposes: {missing}"


def test_live_metrics_show_queues_dependencies_and_sockets(web, worker):
    text = requests.get(web + "/metrics", timeout=10).text
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    for queue in ("timers", "clock", "default", "email", "maintenance"):
        assert ("celery_queue_length", (("queue", queue),)) in samples
    assert samples[("dependency_up", (("dependency", "mongodb"),))] == 1
    assert samples[("dependency_up", (("dependency", "redis"),))] == 1
    assert samples[("process_open_sockets", ())] >= 1
    assert any(name == "mongodb_command_duration_seconds_count" and value > 0
               for (name, _labels), value in samples.items()), "pymongo command monitoring is recording"
