"""Debian's nginx as a reverse proxy in front of one or more web processes, like the ingress.

start_nginx(workdir, upstreams) runs nginx in the foreground (`daemon off`) as the
current user, with its config, pid file, temp directories and logs all inside
`workdir`, listening on a free port of 127.0.0.1. It proxies HTTP and WebSocket
upgrades and sets X-Forwarded-For / -Proto / -Host as an ingress does.

- affinity=True pins each client address to one upstream (ip_hash), which
  Socket.IO's polling transport needs with several web processes.
- Connections to the upstreams come from `proxy_bind` (default 127.0.0.2), so
  an app that ignores X-Forwarded-For sees 127.0.0.2, never the client's address.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.support.services import free_port, spawn, wait_for_port

PROXY_ADDRESS = "127.0.0.2"


def nginx_binary() -> str:
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(found).exists():
        raise RuntimeError("nginx is not installed; run bin/install --browser")
    return found


def _config(root: Path, port: int, upstreams: list[str], affinity: bool, proxy_bind: str | None) -> str:
    servers = "\n".join(f"        server {u.removeprefix('http://').rstrip('/')};" for u in upstreams)
    bind = f"proxy_bind {proxy_bind};" if proxy_bind else ""
    # Run as a normal user, nginx keeps that user; as root it would switch workers to `nobody`,
    # who cannot write the temp directories inside a private workdir.
    user = "user root;" if os.geteuid() == 0 else ""
    return f"""
daemon off;
{user}
master_process on;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log info;
events {{ worker_connections 1024; }}
http {{
    access_log {root}/access.log;
    client_body_temp_path {root}/tmp/body;
    proxy_temp_path {root}/tmp/proxy;
    fastcgi_temp_path {root}/tmp/fastcgi;
    uwsgi_temp_path {root}/tmp/uwsgi;
    scgi_temp_path {root}/tmp/scgi;
    client_max_body_size 8m;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    upstream app {{
        {"ip_hash;" if affinity else ""}
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            {bind}
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host:$server_port;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host:$server_port;
            proxy_read_timeout 120s;
            proxy_buffering off;
        }}
    }}
}}
"""


def start_nginx(workdir: Path, upstreams: list[str], *, affinity: bool = True,
                proxy_bind: str | None = PROXY_ADDRESS, port: int | None = None) -> tuple[subprocess.Popen, str]:
    """Start nginx in front of `upstreams` (base URLs); returns (process, base URL). Stop it with
    tests.support.services.stop_process.

    Pass `port` (from services.free_port()) when the app must know its public address in
    advance: Socket.IO accepts only the Origin of PUBLIC_BASE_URL."""
    port = port or free_port()
    root = Path(workdir) / f"nginx-{port}"
    (root / "tmp").mkdir(parents=True, exist_ok=True)
    conf = root / "nginx.conf"
    conf.write_text(_config(root, port, upstreams, affinity, proxy_bind))
    proc = spawn([nginx_binary(), "-p", str(root), "-c", str(conf), "-e", str(root / "error.log")],
                 root / "nginx.out")
    wait_for_port(port, proc=proc)
    return proc, f"http://127.0.0.1:{port}"
