# syntax=docker/dockerfile:1
# One image for every Sora Studio service: Cloud Run picks the function with
# FUNCTION_TARGET (auth, generate, chat, proxy, billing, admin, worker, web).

# --- frontend: static build, copied into the runtime image (the web target serves it)
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend/ ./
COPY routes.json /src/routes.json
RUN npm run build

# --- runtime
FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8080

WORKDIR /app

# Dependencies first: this layer is reused until requirements.txt changes.
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

COPY main.py routes.json ./
COPY common/ ./common/
COPY functions/ ./functions/
# The index deploy step: `python -m scripts.ensure_indexes` (docs/deploy.md).
COPY scripts/__init__.py scripts/ensure_indexes.py ./scripts/
COPY --from=frontend /src/frontend/dist/ ./frontend/dist/
# Byte-compile the app at build time: a cold start reads .pyc instead of compiling (root FS is read-only).
RUN python -m compileall -q main.py common functions scripts

RUN useradd --system --uid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin sora
USER 10001:10001

ARG FUNCTION_TARGET=web
ENV FUNCTION_TARGET=${FUNCTION_TARGET}

EXPOSE 8080
# exec: functions-framework is PID 1 and gets Cloud Run's SIGTERM.
CMD ["sh", "-c", "exec functions-framework --target=\"$FUNCTION_TARGET\" --source=main.py --port=\"$PORT\""]
