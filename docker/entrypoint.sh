#!/bin/sh
# The one entrypoint of the Club Auction image: the first argument picks the role.
# It is also run directly by the tests (tests/ops/test_entrypoint.py) and by
# bin/run's Procfile, so every role starts the same way everywhere.
set -eu

usage() {
  cat >&2 <<'USAGE'
usage: auction-entrypoint ROLE [ARGS...]
  web            gunicorn + gevent (1 worker, WEB_CONNECTIONS sockets) on PORT (default 8000)
  worker         Celery, queues clock,default,email,maintenance, prefork pool (time limits enforced)
  worker-timers  Celery, queues timers,clock (lot clock triggers and the 1-second sweep), 8 threads
  beat           Celery beat: the schedule. Run exactly one.
  migrate        create indexes and load the bundled catalogs (idempotent)
  backup         write a backup now, prune, copy off-site when configured
  restore FILE   restore a backup file (names the target and asks; --yes to skip the question)
  flask ARGS     any other operator command, e.g. `flask maintenance on "Back at 22:30"`
USAGE
}

role="${1:-}"
[ $# -gt 0 ] && shift

# Celery runs with --quiet: no ASCII-art banner, so every line on stderr is JSON.
# Worker metrics from every pool process (prefork) are merged through this directory.
multiproc_dir() {
  PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-${TMPDIR:-/tmp}/prometheus-$role}"
  rm -rf "$PROMETHEUS_MULTIPROC_DIR"
  mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
  export PROMETHEUS_MULTIPROC_DIR
}

case "$role" in
  web)
    connections="${WEB_CONNECTIONS:-5000}"
    # Each open WebSocket is a file descriptor: raise the soft limit to the hard one and say
    # when it is still below what gunicorn is told to accept (set the pod's nofile ulimit).
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((connections + 200)) ]; then
      echo "{\"level\": \"WARNING\", \"logger\": \"entrypoint\", \"message\": \"open-file limit $(ulimit -n) is below WEB_CONNECTIONS=$connections + 200; raise nofile\"}" >&2
    fi
    # gunicorn accepts a little more than the app does, so connection WEB_CONNECTIONS+1 is
    # answered with "server full" by the app instead of waiting in gunicorn's queue.
    exec gunicorn -k gevent -w 1 -b "${WEB_BIND:-0.0.0.0}:${PORT:-8000}" \
      --worker-connections "$((connections + 100))" --timeout 60 --graceful-timeout 20 --no-control-socket \
      --logger-class gunicorn_logging.JsonLogger "$@" wsgi:app
    ;;
  worker)
    multiproc_dir
    exec celery --quiet -A celery_worker worker -Q clock,default,email,maintenance --pool=prefork \
      --concurrency="${WORKER_CONCURRENCY:-2}" -n "general@%h" --loglevel=INFO "$@"
    ;;
  worker-timers)
    # One process (threads pool): its metrics need no multiprocess merging.
    exec celery --quiet -A celery_worker worker -Q timers,clock --pool=threads --concurrency=8 \
      -n "timers@%h" --loglevel=INFO "$@"
    ;;
  beat)
    exec celery --quiet -A celery_worker beat --loglevel=INFO -s "${BEAT_SCHEDULE_FILE:-/tmp/celerybeat-schedule}" "$@"
    ;;
  migrate)
    flask --app auction_app create-indexes
    exec flask --app auction_app load-catalogs "$@"
    ;;
  backup)
    exec flask --app auction_app backup "$@"
    ;;
  restore)
    if [ $# -eq 0 ]; then
      echo "restore needs the backup file: auction-entrypoint restore /backups/backup-....jsonl.gz" >&2
      exit 64
    fi
    exec flask --app auction_app restore "$@"
    ;;
  flask)
    exec flask --app auction_app "$@"
    ;;
  -h|--help|help)
    usage
    exit 0
    ;;
  *)
    [ -n "$role" ] && echo "unknown role: $role" >&2
    usage
    exit 64
    ;;
esac
