"""Every command in docs/runbook.md works as written: the flask commands run against
a real database, every Deployment is named in the scale-to-zero, scale-up and rollback
steps, every Kubernetes object it names exists, and every alert links to a heading."""
from __future__ import annotations

import re
import shlex
import subprocess

import yaml

from tests.ops.test_k8s import render
from tests.support import services

RUNBOOK = (services.ROOT / "docs" / "runbook.md").read_text()


def section(title: str) -> str:
    start = RUNBOOK.index(f"\n## {title}\n")
    end = RUNBOOK.find("\n## ", start + 1)
    return RUNBOOK[start:end if end != -1 else None]


def deployments() -> set[str]:
    _text, docs = render("pilot")
    return {d["metadata"]["name"] for d in docs if d["kind"] == "Deployment"}


def lines_with(text: str, needle: str) -> list[str]:
    return [line for line in text.splitlines() if needle in line]


def test_every_deployment_is_named_in_scale_to_zero_scale_up_and_rollback():
    names = deployments()
    assert names == {"auction-web", "auction-worker", "auction-worker-timers", "auction-beat"}
    restore = section("Restore")
    to_zero = " ".join(lines_with(restore, "--replicas=0"))
    back_up = " ".join(line for line in lines_with(restore, "kubectl scale") if "--replicas=0" not in line)
    rollback = " ".join(lines_with(section("Rollback"), "kubectl rollout undo"))
    for name in names:
        assert f"deploy/{name} " in to_zero + " ", f"{name} not scaled to zero before a restore"
        assert f"deploy/{name} " in back_up + " ", f"{name} not scaled back up after a restore"
        assert re.search(rf"deploy/{name}\b(?!-)", rollback), f"{name} not rolled back"
    assert "deploy/auction-beat --replicas=1" in back_up, "exactly one beat"


def test_restore_runs_from_a_job_that_mounts_the_backups_volume_not_an_exec():
    restore = section("Restore")
    assert "k8s/jobs/restore-job.yaml" in restore and "kubectl apply -f -" in restore
    after_scale = restore[restore.index("--replicas=0"):restore.index("kubectl scale deploy/auction-web --replicas=2")]
    assert "kubectl exec" not in after_scale, "nothing execs into a Deployment that was just scaled to zero"
    job = yaml.safe_load((services.ROOT / "k8s" / "jobs" / "restore-job.yaml").read_text())
    assert job["metadata"]["name"] == "auction-restore" and "job/auction-restore" in restore


def test_every_kubernetes_object_the_runbook_names_exists():
    known = {f"deploy/{n}" for n in deployments()} | {"job/auction-migrate", "job/auction-restore"}
    named = set(re.findall(r"\b(deploy/[a-z-]+|job/[a-z-]+)", RUNBOOK))
    assert named and named <= known, named - known
    for job in re.findall(r"kubectl delete job ([a-z-]+)", RUNBOOK):
        assert f"job/{job}" in known


def test_every_alert_links_to_a_heading_of_the_runbook():
    anchors = {re.sub(r"[^a-z0-9 -]", "", h.lower()).strip().replace(" ", "-")
               for h in re.findall(r"^#{2,3} (.+)$", RUNBOOK, flags=re.M)}
    rules = yaml.safe_load((services.ROOT / "monitoring" / "prometheus" / "alerts.yml").read_text())
    for rule in (r for g in rules["groups"] for r in g["rules"]):
        link = rule["annotations"]["runbook"]
        assert link.startswith("docs/runbook.md#") and link.split("#")[1] in anchors, rule["alert"]


def test_every_flask_command_in_the_runbook_runs(service_env, db, workdir):
    """Run each one against a scratch database, exactly as written (FILE-taking ones with a real file)."""
    commands = sorted({m.strip() for m in re.findall(r"flask --app auction_app ([^`\n]+)", RUNBOOK)})
    scratch = "runbook_check"
    env = dict(service_env, MONGO_DB=scratch, BACKUP_DIR=str(workdir / "runbook-backups"))
    flask = str(services.VENV_BIN / "flask")

    def run(args: list[str], stdin: str = ""):
        return subprocess.run([flask, "--app", "auction_app", *args], env=env, cwd=services.ROOT, input=stdin,
                              capture_output=True, text=True, timeout=120)

    assert run(["create-indexes"]).returncode == 0
    made = run(["backup"])
    assert made.returncode == 0, made.stderr
    backup_file = made.stdout.strip().splitlines()[-1]
    ran = []
    for command in commands:
        args = shlex.split(command.replace("\\", ""))
        if args[0] in ("<command>",):
            continue
        if args[0] == "restore":
            from auction_app.backup_storage import latest_backup

            args = ["restore", str(latest_backup(env["BACKUP_DIR"]) or backup_file)]
            result = run(args, stdin="n\n")  # the runbook's manual restore asks first: answer no
            assert "Target: database 'runbook_check'" in result.stdout
            ran.append(args[0])
            continue
        result = run(args)
        assert result.returncode == 0, f"flask {command}: {result.stdout}{result.stderr}"
        ran.append(args[0])
    assert {"backup", "restore-drill", "maintenance", "announce", "lifecycle", "restore"} <= set(ran)
    db.client.drop_database(scratch)
