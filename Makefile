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

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements-dev.txt
	@touch $@

venv: $(STAMP) ## create .venv and install Python dependencies

$(FRONTEND_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

frontend-deps: $(FRONTEND_STAMP)

frontend-build: frontend-deps ## build the frontend into frontend/dist
	cd frontend && npm run build

system-deps: ## Debian packages the tests use (real nginx, headless chromium); installed only if missing
	@missing=""; \
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing="$$missing nginx-light"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

dev: venv frontend-build ## run the whole platform on http://127.0.0.1:8080 (Ctrl-C stops it)
	$(BIN)/python -m localstack

openapi: venv frontend-deps ## regenerate openapi.json (from the declared routes), then frontend/src/api/generated.ts from it
	$(BIN)/python -m scripts.gen_openapi
	cd frontend && npm run --silent gen:api

lint: venv ## ruff + mypy
	$(BIN)/ruff check .
	$(BIN)/mypy

TIER := scripts/timed.sh

test: venv system-deps frontend-deps ## install everything, then lint and run every test tier (times printed at the end)
	@$(TIER) --reset
	$(TIER) lint bash -c '$(BIN)/ruff check . && $(BIN)/mypy'
	$(TIER) frontend-unit bash -c 'cd frontend && npm test --silent'
	$(TIER) frontend-build bash -c 'cd frontend && npm run build --silent'
	$(TIER) unit $(BIN)/python -m pytest -q tests/unit
	$(TIER) integration $(BIN)/python -m pytest -q -n 2 --dist loadfile tests/integration
	$(TIER) e2e $(BIN)/python -m pytest -q tests/e2e
	@$(TIER) --report

bench: venv ## performance numbers (printed, never asserted)
	$(BIN)/python -m bench.pipeline
	$(BIN)/python -m bench.proxy

clean: ## remove local data and build outputs (keeps .venv)
	rm -rf .data frontend/dist artifacts

.PHONY: help venv frontend-deps frontend-build system-deps dev openapi lint test bench clean
