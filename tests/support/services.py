"""Real services for tests: nx-27017, redis-server, an SMTP capture, Celery, web.

Each starts on a free port, waits until it answers, and is stopped by the
fixture that started it. Nothing here is a mock.
"""
from __future__ import annotations

import email
import email.policy
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before port {port} opened")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on port {port} after {timeout}s")


def stop_process(proc: subprocess.Popen, sig=signal.SIGTERM, timeout: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def spawn(args: list[str], log_path: Path, env: dict | None = None) -> subprocess.Popen:
    log = open(log_path, "ab")
    # Own process group, so stopping it also stops its children (Celery's pool).
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
                            start_new_session=True)
    proc.log_path = log_path  # so a test can show why the process died
    return proc


def log_tail(proc: subprocess.Popen, chars: int = 4000) -> str:
    """The end of what a spawned process printed, for a failure message."""
    try:
        return proc.log_path.read_text(errors="replace")[-chars:]
    except OSError as exc:
        return f"(no log: {exc})"


def start_mongo(workdir: Path, port: int | None = None) -> tuple[subprocess.Popen, str]:
    """nx-27017 (as bin/local-mongo runs it) on a free port (or `port`, to restart it where its
    clients expect it)."""
    port = port or free_port()
    # --data-dir: one SQLite file per logical database. (With --db, every database shares
    # one file and same-named collections collide: dropping scratch.x would drop test.x.)
    data_dir = workdir / "mongo-data"
    data_dir.mkdir(exist_ok=True)
    proc = spawn([str(VENV_BIN / "python"), str(ROOT / "bin" / "local-mongo"), "--data-dir", str(data_dir),
                  "--port", str(port),
                  "--log-file", str(workdir / "nx.log"), "--pid-file", str(workdir / "nx.pid")],
                 workdir / "nx.out")
    wait_for_port(port, proc=proc)
    return proc, f"mongodb://127.0.0.1:{port}/?directConnection=true"


def redis_server_binary() -> str:
    found = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(found).exists():
        raise RuntimeError("redis-server is not installed; run bin/install")
    return found


def start_redis(workdir: Path, port: int | None = None, persist: bool = False) -> tuple[subprocess.Popen, str, int]:
    """redis-server on a free port (or `port`). With `persist`, every write is on disk before
    Redis answers, as a production broker keeps it, so a killed Redis comes back with its data."""
    port = port or free_port()
    durability = ["--appendonly", "yes", "--appendfsync", "always"] if persist else ["--appendonly", "no"]
    proc = spawn([redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                  *durability, "--maxmemory-policy", "noeviction", "--dir", str(workdir)],
                 workdir / f"redis-{port}.log")
    wait_for_port(port, proc=proc)
    return proc, f"redis://127.0.0.1:{port}/0", port


@dataclass
class CapturedMail:
    sender: str
    recipients: list[str]
    message: email.message.EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()

    @property
    def html(self) -> str | None:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else None


@dataclass
class MailCapture:
    """A real SMTP server (aiosmtpd) that keeps every message in memory."""

    port: int
    messages: list[CapturedMail] = field(default_factory=list)
    _cond: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self._cond:
            self.messages.append(CapturedMail(envelope.mail_from, list(envelope.rcpt_tos), msg))
            self._cond.notify_all()
        return "250 OK"

    def wait_for(self, to: str, timeout: float = 15.0, subject_contains: str = "", after: int = 0) -> CapturedMail:
        """The first message to `to` (optionally matching the subject) among those after index `after`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for m in self.messages[after:]:
                    if to.lower() in [r.lower() for r in m.recipients] and subject_contains in m.subject:
                        return m
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no mail to {to} within {timeout}s; got {[m.recipients for m in self.messages]}")
                self._cond.wait(remaining)

    def to(self, address: str) -> list[CapturedMail]:
        with self._cond:
            return [m for m in self.messages if address.lower() in [r.lower() for r in m.recipients]]


def start_mail_capture() -> tuple[Controller, MailCapture]:
    port = free_port()
    capture = MailCapture(port=port)
    controller = Controller(capture, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, capture


def start_worker(env: dict, workdir: Path, name: str = "w1", queues: str = "timers,default,email,maintenance",
                 concurrency: int = 4) -> subprocess.Popen:
    proc = spawn([str(VENV_BIN / "celery"), "-A", "celery_worker", "worker", "-Q", queues, "-n", f"{name}@%h",
                  "--pool=threads", f"--concurrency={concurrency}", "--loglevel=INFO", "--without-gossip",
                  "--without-mingle"], workdir / f"worker-{name}.log", env)
    return proc


def wait_for_worker(celery_app, name: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = celery_app.control.ping(timeout=0.5) or []
        if any(name in list(r)[0] for r in replies):
            return
    raise TimeoutError(f"Celery worker {name} did not answer within {timeout}s")


def start_beat(env: dict, workdir: Path) -> subprocess.Popen:
    return spawn([str(VENV_BIN / "celery"), "-A", "celery_worker", "beat", "--loglevel=INFO",
                  "-s", str(workdir / "celerybeat-schedule")], workdir / "beat.log", env)


def start_web(env: dict, workdir: Path, name: str = "web", port: int | None = None,
              worker_connections: int | None = None) -> tuple[subprocess.Popen, str]:
    """One gunicorn + gevent web process. `worker_connections` is gunicorn's cap on clients at once
    (its default is 1,000); pass it above WEB_CONNECTIONS so the app can refuse the next socket itself."""
    port = port or free_port()
    extra = ["--worker-connections", str(worker_connections)] if worker_connections else []
    proc = spawn([str(VENV_BIN / "gunicorn"), "-k", "gevent", "-w", "1", "-b", f"127.0.0.1:{port}", *extra,
                  "--timeout", "60", "--graceful-timeout", "5", "--no-control-socket", "wsgi:app"], workdir / f"{name}-{port}.log", env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log = (workdir / f"{name}-{port}.log").read_text()[-3000:]
            raise RuntimeError(f"web server exited early:\n{log}")
        try:
            if requests.get(base + "/health", timeout=1).ok:
                return proc, base
        except requests.RequestException:
            time.sleep(0.1)
    raise TimeoutError("web server did not answer /health within 30s")
