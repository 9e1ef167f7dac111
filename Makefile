# Sora Studio — two commands: `make dev` runs the platform, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FRONTEND_STAMP := frontend/node_modules/.installed
export PYTHONDONTWRITEBYTECODE := 1

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-worker.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements-dev.txt
	@touch $@

venv: $(STAMP) ## create .venv and install Python dependencies

# @playwright/test drives Debian's chromium (tests/e2e/playwright.config.mjs): never download a browser.
$(FRONTEND_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	@touch $@

frontend-deps: $(FRONTEND_STAMP)

frontend-build: frontend-deps ## build the frontend into frontend/dist
	cd frontend && npm run build

# nginx: Debian's `nginx` package (1.22 on bookworm) is built with the ssl,
# http_v2 and slice modules the proxy template needs; nginx-light is only a
# transitional name for it, so the check is on the modules, not the name.
NGINX_MODULES := http_ssl_module http_v2_module http_slice_module

system-deps: ## Debian packages the tests use (nginx with ssl/http2/slice, chromium, shellcheck, openssl); installed only if missing
	@missing=""; \
	nginx_bin=$$(command -v nginx || echo /usr/sbin/nginx); \
	for module in $(NGINX_MODULES); do \
	  [ -x "$$nginx_bin" ] && "$$nginx_bin" -V 2>&1 | grep -q -- "--with-$$module" || { missing="$$missing nginx"; break; }; \
	done; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing="$$missing fonts-noto-cjk"; \
	command -v shellcheck >/dev/null || missing="$$missing shellcheck"; \
	command -v openssl >/dev/null || missing="$$missing openssl"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi; \
	nginx_bin=$$(command -v nginx || echo /usr/sbin/nginx); \
	for module in $(NGINX_MODULES); do \
	  "$$nginx_bin" -V 2>&1 | grep -q -- "--with-$$module" || { echo "nginx lacks $$module"; exit 1; }; \
	done

dev: venv frontend-build ## run the whole platform on http://127.0.0.1:8080 (Ctrl-C stops it)
	$(BIN)/python -m localstack

openapi: venv frontend-deps ## regenerate openapi.json (from the declared routes), then frontend/src/api/generated.ts and zod.gen.ts from it
	$(BIN)/python -m scripts.gen_openapi
	cd frontend && npm run --silent gen:api

lint: venv ## ruff + mypy
	$(BIN)/ruff check .
	$(BIN)/mypy

TIER := scripts/timed.sh

test: venv system-deps frontend-deps ## install everything, then lint and run every test tier (times printed at the end)
	@$(TIER) --reset
	$(TIER) lint bash -c '$(BIN)/ruff check . && $(BIN)/mypy'
	$(TIER) frontend-lint bash -c 'cd frontend && npm run lint --silent'
	$(TIER) frontend-unit bash -c 'cd frontend && npm test --silent'
	$(TIER) frontend-build bash -c 'cd frontend && npm run build --silent'
	$(TIER) unit $(BIN)/python -m pytest -q tests/unit tests/contract
	$(TIER) integration $(BIN)/python -m pytest -q -n 2 --dist loadfile --durations=15 tests/integration
	$(TIER) database $(MAKE) --no-print-directory test-db
	$(TIER) e2e $(BIN)/python -m pytest -q tests/e2e
	$(TIER) prod $(MAKE) --no-print-directory test-prod
	@$(TIER) --report

test-prod: venv system-deps ## the production path: each function its own functions-framework process behind Nginx
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/prod

# The database-facing tests again, on a real MongoDB wire server (SecantusDB, started by the tests).
DB_TIER := tests/integration/test_billing.py tests/integration/test_admin.py tests/integration/test_worker.py \
	tests/integration/test_walking_skeleton.py tests/integration/test_db_server.py tests/contract
test-db: venv ## the database tier on a real MongoDB wire server (SecantusDB) that the tests start
	TEST_MONGODB=secantusdb $(BIN)/python -m pytest -q -n 2 --dist loadfile $(DB_TIER)

lock: venv ## pin the full dependency set (hashes included) of the images: requirements*.txt -> *.lock
	$(BIN)/pip-compile --quiet --strip-extras --generate-hashes --allow-unsafe --no-header --no-emit-index-url --no-emit-find-links \
	  --output-file=requirements.lock requirements.txt
	$(BIN)/pip-compile --quiet --strip-extras --generate-hashes --allow-unsafe --no-header --no-emit-index-url --no-emit-find-links \
	  --output-file=requirements-worker.lock requirements-worker.txt

bench: venv frontend-build ## performance numbers, then issue 14's table (printed, never asserted; BENCH_ONLY=proxy,pipeline,...)
	$(BIN)/python -m bench

clean: ## remove local data and build outputs (keeps .venv)
	rm -rf .data frontend/dist artifacts

.PHONY: lock help venv frontend-deps frontend-build system-deps dev openapi lint test test-db test-prod bench clean
