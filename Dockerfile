# One image for every process of Club Auction. The role is the first argument:
#   docker run IMAGE web | worker | worker-timers | beat | migrate | backup | restore FILE | flask ...
# See docs/deployment.md. Three stages: npm assets, the wheel, and a slim runtime
# with no compiler, no npm and no source tree, running as a non-root user.

# 1. Browser assets, from package-lock.json exactly (served by the app, never a CDN).
FROM node:22-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

# 2. The wheel (the build hook in setup.py copies the vendored assets into it),
#    plus wheels of every dependency at the exact versions of requirements.lock.
FROM python:3.12-slim-bookworm AS build
WORKDIR /src
COPY --from=assets /src/node_modules ./node_modules
COPY . .
RUN pip wheel --no-cache-dir --no-deps -w /wheels . \
 && pip wheel --no-cache-dir -w /wheels -c requirements.lock /wheels/club_auction-*.whl

# 3. Runtime: installs only wheels, so no compiler is needed or present. The root filesystem
#    can be read-only: everything written goes to /tmp (HOME too, for rclone) and /backups.
FROM python:3.12-slim-bookworm
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    APP_ENV=production \
    PORT=8000 \
    BACKUP_DIR=/backups \
    HOME=/tmp
RUN groupadd --system --gid 10001 auction \
 && useradd --system --uid 10001 --gid auction --home-dir /app --shell /usr/sbin/nologin auction \
 && mkdir -p /app /backups \
 && chown auction:auction /backups
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels /wheels/club_auction-*.whl \
 && rm -rf /wheels
COPY docker/entrypoint.sh /usr/local/bin/auction-entrypoint
WORKDIR /app
USER 10001:10001
EXPOSE 8000 9100
ENTRYPOINT ["auction-entrypoint"]
CMD ["web"]
