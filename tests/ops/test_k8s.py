"""The Kubernetes manifests render offline with `kubectl kustomize`, pass
`kubernetes-validate --strict`, and keep the promises docs/deployment.md makes."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support import services

K8S = services.ROOT / "k8s"
OVERLAYS = ["pilot", "club"]


def render(overlay: str) -> tuple[str, list[dict]]:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is missing: bin/install --browser installs Debian's kubernetes-client"
    done = subprocess.run([kubectl, "kustomize", str(K8S / "overlays" / overlay)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout, [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request):
    text, docs = render(request.param)
    return request.param, text, docs


def of_kind(docs, kind):
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def pod_specs(docs):
    for doc in docs:
        if doc["kind"] in ("Deployment", "Job"):
            yield doc["metadata"]["name"], doc["kind"], doc["spec"]["template"]["spec"]


def validate(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(services.VENV_BIN / "kubernetes-validate"), "--strict", "--quiet", str(path)],
                          capture_output=True, text=True, timeout=300)


def test_overlays_pass_strict_schema_validation(rendered, tmp_path):
    overlay, text, docs = rendered
    out = tmp_path / f"{overlay}.yaml"
    out.write_text(text)
    checked = validate(out)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert {"Deployment", "Service", "Ingress", "PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy",
            "Job", "ConfigMap", "PersistentVolumeClaim"} <= {d["kind"] for d in docs}


def test_restore_job_validates_and_mounts_the_backups_volume(tmp_path):
    text = (K8S / "jobs" / "restore-job.yaml").read_text()
    filled = text.replace("BACKUP_FILE_NAME", "backup-20261201T030000Z.jsonl.gz").replace("IMAGE_TAG", "0.1.0")
    out = tmp_path / "restore.yaml"
    out.write_text(filled)
    checked = validate(out)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    job = yaml.safe_load(filled)
    spec = job["spec"]["template"]["spec"]
    assert spec["volumes"][0]["persistentVolumeClaim"]["claimName"] == "auction-backups"
    container = spec["containers"][0]
    assert container["args"][0] == "restore" and "--yes" in container["args"]
    assert {"name": "backups", "mountPath": "/backups", "readOnly": True} in container["volumeMounts"]


def test_every_container_has_requests_memory_limit_non_root_and_probes(rendered):
    _overlay, _text, docs = rendered
    for name, kind, spec in pod_specs(docs):
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] != 0, name
        for container in spec["containers"]:
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), name
            assert "memory" in resources["limits"], name
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
            assert container["securityContext"]["capabilities"]["drop"] == ["ALL"], name
            if kind == "Deployment":
                assert "livenessProbe" in container and "readinessProbe" in container, f"{name} has no probes"


def test_web_has_pdb_hpa_and_the_configured_connections(rendered):
    _overlay, _text, docs = rendered
    assert of_kind(docs, "PodDisruptionBudget")["auction-web"]["spec"]["selector"]["matchLabels"] == {
        "app": "auction-web"}
    hpa = of_kind(docs, "HorizontalPodAutoscaler")["auction-web"]["spec"]
    assert hpa["scaleTargetRef"]["name"] == "auction-web" and hpa["minReplicas"] >= 2
    web = of_kind(docs, "Deployment")["auction-web"]["spec"]["template"]["spec"]["containers"][0]
    assert web["args"] == ["web"]
    config = of_kind(docs, "ConfigMap")["auction-config"]["data"]
    assert int(config["WEB_CONNECTIONS"]) >= 5000
    assert config["TRUSTED_PROXIES"] == "1"


MEBI = 1024 * 1024
# Measured (docs/performance.md, sixth session): 490 MB resident at 5,000 sockets, ~105 MB of it
# the idle web process, gunicorn's master ~30 MB more; rounded up for auctions' caches.
WEB_PROCESS_BYTES = 200 * 1000 * 1000
SOCKET_BYTES = 100 * 1000


def test_a_web_pods_memory_limit_holds_its_configured_sockets(rendered):
    """A pod over its memory limit is killed with every member's socket on it: the limit must
    hold WEB_CONNECTIONS sockets (the base once allowed 5,000 sockets in 512 MiB, and with
    browsers' compressed sockets at ~240 KB each it would have been killed at ~1,700)."""
    _overlay, _text, docs = rendered
    web = of_kind(docs, "Deployment")["auction-web"]["spec"]["template"]["spec"]["containers"][0]
    connections = int(of_kind(docs, "ConfigMap")["auction-config"]["data"]["WEB_CONNECTIONS"])
    limit = web["resources"]["limits"]["memory"]
    assert limit.endswith("Mi"), limit
    assert int(limit[:-2]) * MEBI >= WEB_PROCESS_BYTES + connections * SOCKET_BYTES, (
        f"{limit} cannot hold {connections} sockets")


def test_exactly_one_beat_and_the_two_worker_roles(rendered):
    _overlay, _text, docs = rendered
    deployments = of_kind(docs, "Deployment")
    beats = [d for d in deployments.values() if d["spec"]["template"]["spec"]["containers"][0]["args"] == ["beat"]]
    assert len(beats) == 1 and beats[0]["spec"]["replicas"] == 1
    assert beats[0]["spec"]["strategy"]["type"] == "Recreate"
    assert deployments["auction-worker"]["spec"]["template"]["spec"]["containers"][0]["args"] == ["worker"]
    assert deployments["auction-worker-timers"]["spec"]["template"]["spec"]["containers"][0]["args"] == [
        "worker-timers"]


def test_a_deployment_with_a_read_write_once_volume_uses_recreate(rendered):
    _overlay, _text, docs = rendered
    rwo = {name for name, pvc in of_kind(docs, "PersistentVolumeClaim").items()
           if "ReadWriteOnce" in pvc["spec"]["accessModes"]}
    holders = []
    for name, deployment in of_kind(docs, "Deployment").items():
        claims = {v["persistentVolumeClaim"]["claimName"] for v in deployment["spec"]["template"]["spec"]["volumes"]
                  if "persistentVolumeClaim" in v}
        if claims & rwo:
            holders.append(name)
            assert deployment["spec"]["strategy"]["type"] == "Recreate", name
    assert holders == ["auction-worker"]


def test_migrate_job_can_be_applied_again_and_the_release_is_not_a_secret(rendered):
    _overlay, text, docs = rendered
    job = of_kind(docs, "Job")["auction-migrate"]
    assert job["spec"]["ttlSecondsAfterFinished"] > 0
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]
    assert not of_kind(docs, "Secret"), "secrets are created by hand, never rendered from the repo"
    config = of_kind(docs, "ConfigMap")["auction-config"]["data"]
    image = of_kind(docs, "Deployment")["auction-web"]["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image.endswith(":" + config["RELEASE"]), "RELEASE and the image tag are set together"
    assert "RELEASE" not in (K8S / "secret.example.yaml").read_text().split("stringData:")[1]


def test_network_policy_scrape_annotations_and_ingress_affinity(rendered):
    _overlay, _text, docs = rendered
    policies = of_kind(docs, "NetworkPolicy")
    assert "auction-default-deny" in policies and "auction-web" in policies
    for name in ("auction-web", "auction-worker", "auction-worker-timers"):
        annotations = of_kind(docs, "Deployment")[name]["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
    ingress = of_kind(docs, "Ingress")["auction"]["metadata"]["annotations"]
    assert ingress["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert ingress["nginx.ingress.kubernetes.io/session-cookie-name"]
    assert int(ingress["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert int(ingress["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600


def test_the_larger_club_overlay_scales_web_and_timers():
    _t, pilot = render("pilot")
    _t, club = render("club")
    assert (of_kind(club, "HorizontalPodAutoscaler")["auction-web"]["spec"]["maxReplicas"]
            > of_kind(pilot, "HorizontalPodAutoscaler")["auction-web"]["spec"]["maxReplicas"])
    assert (of_kind(club, "Deployment")["auction-worker-timers"]["spec"]["replicas"]
            > of_kind(pilot, "Deployment")["auction-worker-timers"]["spec"]["replicas"])


def test_the_rendered_settings_pass_the_products_own_checks_in_production(rendered):
    """Every value the ConfigMap sets is one the product accepts at start (a typo in, say,
    BID_RATE_LIMIT would otherwise stop every web pod of the release)."""
    import config

    _overlay, _text, docs = rendered
    settings = dict(of_kind(docs, "ConfigMap")["auction-config"]["data"])
    secrets = {"SECRET_KEY": "s" * 48, "JWT_SECRET": "j" * 48, "METRICS_TOKEN": "m" * 32,
               "MONGO_URL": "mongodb://mongo-0.mongo/?replicaSet=rs0", "REDIS_URL": "redis://redis:6379/0"}
    loaded = config.load("production", env={**settings, **secrets})
    assert loaded.WEB_CONNECTIONS == int(settings["WEB_CONNECTIONS"])
    assert settings["BID_RATE_LIMIT"] and settings["WEB_GC_THRESHOLDS"], "the scale settings are explicit"
