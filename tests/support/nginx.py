"""Debian's nginx as a reverse proxy in front of one or more web processes, like the ingress.

start_nginx(workdir, upstreams) runs nginx in the foreground (`daemon off`) as the
current user, with its config, pid file, temp directories and logs all inside
`workdir`, listening on a free port of 127.0.0.1. It proxies HTTP and WebSocket
upgrades and sets X-Forwarded-For / -Proto / -Host as an ingress does.

- affinity=True pins each client address to one upstream (ip_hash), which
  Socket.IO's polling transport needs with several web processes.
- affinity="cookie" does what the Kubernetes ingress does (ingress-nginx's
  `affinity: cookie`): a client without the INGRESSCOOKIE cookie is sent round
  robin, the response sets INGRESSCOOKIE to the upstream that answered, and
  every later request carrying it goes to that upstream. Clients on one
  address therefore spread over the processes (ip_hash would pin them all).
- Connections to the upstreams come from `proxy_bind` (default 127.0.0.2), so
  an app that ignores X-Forwarded-For sees 127.0.0.2, never the client's address.
"""
from __future__ import annotations

import os
import resource
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


AFFINITY_COOKIE = "INGRESSCOOKIE"


def _config(root: Path, port: int, upstreams: list[str], affinity: bool | str, proxy_bind: str | None,
            max_connections: int, workers: int) -> str:
    addresses = [u.removeprefix('http://').rstrip('/') for u in upstreams]
    servers = "\n".join(f"        server {a};" for a in addresses)
    cookie = affinity == "cookie"
    # Only the known upstream addresses are honoured from the cookie; anything else goes round robin.
    routes = "\n".join(f'        "{a}" {a};' for a in addresses)
    cookie_map = f"""map $cookie_{AFFINITY_COOKIE} $app_backend {{
        default app;
{routes}
    }}""" if cookie else ""
    target = "$app_backend" if cookie else "app"
    set_cookie = (f'add_header Set-Cookie "{AFFINITY_COOKIE}=$upstream_addr; Path=/; HttpOnly" always;'
                  if cookie else "")
    bind = f"proxy_bind {proxy_bind};" if proxy_bind else ""
    # Run as a normal user, nginx keeps that user; as root it would switch workers to `nobody`,
    # who cannot write the temp directories inside a private workdir.
    user = "user root;" if os.geteuid() == 0 else ""
    return f"""
daemon off;
{user}
master_process on;
worker_processes {workers};
pid {root}/nginx.pid;
error_log {root}/error.log info;
worker_rlimit_nofile {min(max_connections + 100, resource.getrlimit(resource.RLIMIT_NOFILE)[1])};
events {{ worker_connections {max_connections}; }}
http {{
    access_log {root}/access.log;
    client_body_temp_path {root}/tmp/body;
    proxy_temp_path {root}/tmp/proxy;
    fastcgi_temp_path {root}/tmp/fastcgi;
    uwsgi_temp_path {root}/tmp/uwsgi;
    scgi_temp_path {root}/tmp/scgi;
    client_max_body_size 8m;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    {cookie_map}
    upstream app {{
        {"ip_hash;" if affinity is True else ""}
{servers}
    }}
    server {{
        listen 127.0.0.1:{port}{" reuseport" if workers > 1 else ""};
        location / {{
            proxy_pass http://{target};
            {set_cookie}
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


def start_nginx(workdir: Path, upstreams: list[str], *, affinity: bool | str = True,
                proxy_bind: str | None = PROXY_ADDRESS, port: int | None = None,
                max_connections: int = 1024, workers: int = 1) -> tuple[subprocess.Popen, str]:
    """Start nginx in front of `upstreams` (base URLs); returns (process, base URL). Stop it with
    tests.support.services.stop_process.

    Pass `port` (from services.free_port()) when the app must know its public address in
    advance: Socket.IO accepts only the Origin of PUBLIC_BASE_URL. `max_connections` is nginx's
    worker_connections, per worker (each proxied socket uses two: client side and upstream side).
    `workers` > 1 runs that many nginx workers sharing the port (`reuseport`, the kernel spreads
    new connections), as ingress-nginx does: each worker's open files are then about
    2 x sockets / workers, which keeps 10,000 sockets under a 20,000 open-files limit."""
    port = port or free_port()
    root = Path(workdir) / f"nginx-{port}"
    (root / "tmp").mkdir(parents=True, exist_ok=True)
    conf = root / "nginx.conf"
    conf.write_text(_config(root, port, upstreams, affinity, proxy_bind, max_connections, workers))
    proc = spawn([nginx_binary(), "-p", str(root), "-c", str(conf), "-e", str(root / "error.log")],
                 root / "nginx.out")
    wait_for_port(port, proc=proc)
    return proc, f"http://127.0.0.1:{port}"
