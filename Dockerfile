# syntax=docker/dockerfile:1
# Images per role: `--target=service` (auth, generate, chat, proxy, billing, admin, web) and
# `--target=worker` (the same plus ffmpeg; the default). Cloud Run picks the function with
# FUNCTION_TARGET.

# --- frontend: static build, copied into the runtime image (the web target serves it)
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
# @playwright/test is a devDependency for the browser tier; it must never fetch a browser.
ENV PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend/ ./
COPY routes.json /src/routes.json
RUN npm run build

# --- service: the locked runtime dependencies and the app; every service but the worker runs this
# image (`docker build --target=service`). No ffmpeg, no development database.
FROM python:3.11-slim AS service

# HOME and TMPDIR are the only writable places (the root filesystem may be read-only: Cloud Run's
# in-memory /tmp, `docker run --read-only --tmpfs /tmp`); DATA_DIR defaults under TMPDIR in production.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOME=/tmp \
    TMPDIR=/tmp \
    PORT=8080

WORKDIR /app

# Dependencies first, from the lock (`make lock`): every transitive version and hash pinned.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock

COPY main.py routes.json ./
COPY common/ ./common/
COPY functions/ ./functions/
# The index deploy step: `python -m scripts.ensure_indexes` (docs/deploy.md).
COPY scripts/__init__.py scripts/ensure_indexes.py ./scripts/
COPY --from=frontend /src/frontend/dist/ ./frontend/dist/
# Byte-compile the app at build time: a cold start reads .pyc instead of compiling (root FS is read-only).
RUN python -m compileall -q main.py common functions scripts

RUN useradd --system --uid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin sora
USER 10001:10001

ARG FUNCTION_TARGET=web
ENV FUNCTION_TARGET=${FUNCTION_TARGET}

EXPOSE 8080
# exec: functions-framework is PID 1 and gets Cloud Run's SIGTERM.
CMD ["sh", "-c", "exec functions-framework --target=\"$FUNCTION_TARGET\" --source=main.py --port=\"$PORT\""]

# --- worker: the service image plus the ffmpeg binary (sim videos, video thumbnails), ~165 MB that
# only the worker needs (`docker build --target=worker`). Being the last stage, it is also what a
# plain `docker build` makes, so one image still serves every function.
FROM service AS worker
USER root
COPY requirements-worker.lock ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements-worker.lock
USER 10001:10001
