# Hirondelle assistant. `make run` and `make test` work on a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Rasa 3.6 needs Python 3.10; the gateway runs on 3.11. Prefer pyenv's, else the user's own.
PYENV_ROOT ?= $(shell pyenv root 2>/dev/null)
PY310 ?= $(or $(lastword $(wildcard $(PYENV_ROOT)/versions/3.10*/bin/python)),$(shell command -v python3.10))
PY311 ?= $(or $(lastword $(wildcard $(PYENV_ROOT)/versions/3.11*/bin/python)),$(shell command -v python3.11))

BOT_VENV := .venv-bot
API_VENV := .venv-api
RASA := $(BOT_VENV)/bin/rasa
API_PY := $(API_VENV)/bin/python
MODEL := models/hirondelle.tar.gz
BOT_SOURCES := $(shell find data bot/components -type f 2>/dev/null) domain.yml config.yml

export PYTHONPATH := $(CURDIR):$(CURDIR)/api
export RASA_TELEMETRY_ENABLED := false

.PHONY: help install run test test-api test-bot test-browser validate train domain bench lint clean chromium audit compose-tool

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-14s %s\n", $$1, $$2}'

$(BOT_VENV)/.installed: bot/requirements.txt
	@test -n "$(PY310)" || { echo "Python 3.10 is needed for Rasa 3.6 (pyenv install 3.10.13)"; exit 1; }
	$(PY310) -m venv $(BOT_VENV)
	$(BOT_VENV)/bin/pip install -q --upgrade pip==24.0 setuptools==69.5.1 wheel==0.43.0
	$(BOT_VENV)/bin/pip install -q -r bot/requirements.txt
	touch $@

$(API_VENV)/.installed: api/requirements.txt
	@test -n "$(PY311)" || { echo "Python 3.11 is needed for the gateway"; exit 1; }
	$(PY311) -m venv $(API_VENV)
	$(API_VENV)/bin/pip install -q -r api/requirements.txt
	touch $@

chromium: ## Install Debian's Chromium for the browser tests (needs root)
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-core >/dev/null; }

# No container engine is needed: tests/api/test_compose.py validates docker-compose.yml with
# `docker-compose config`. Without root or apt-get this only says so, and the test skips.
compose-tool: ## Install Debian's docker-compose to validate docker-compose.yml (needs root, else the test skips)
	@command -v docker-compose >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null 2>&1; } \
	  || echo "docker-compose not installed (needs root and apt-get): tests/api/test_compose.py will skip"

install: $(BOT_VENV)/.installed $(API_VENV)/.installed ## Create both environments

domain: $(BOT_VENV)/.installed ## Regenerate the responses of domain.yml from the English catalogue
	$(BOT_VENV)/bin/python bot/scripts/gen_responses.py

$(MODEL): $(BOT_VENV)/.installed $(BOT_SOURCES) api/app/i18n/catalogues/en.yml
	$(BOT_VENV)/bin/python bot/scripts/gen_responses.py
	$(RASA) train --domain domain.yml --data data --config config.yml --out models \
	  --fixed-model-name hirondelle --quiet
	touch $@

train: $(MODEL) ## Train the model (only when the data changed)

run: install $(MODEL) ## Start Rasa, the action server and the gateway on localhost
	@bash scripts/run.sh

validate: $(BOT_VENV)/.installed ## rasa data validate
	$(RASA) data validate --domain domain.yml --data data --config config.yml

test-api: $(API_VENV)/.installed chromium compose-tool ## Gateway tests (SQLite and PostgreSQL) and end-to-end tests on the real stack
	cd api && ../$(API_PY) -m pytest ../tests/api -q

test-browser: $(API_VENV)/.installed chromium ## Widget tests in headless Chromium
	cd api && ../$(API_PY) -m pytest ../tests/browser -q

test-bot: $(BOT_VENV)/.installed $(MODEL) validate ## Action tests, conversation tests, NLU held-out accuracy
	$(BOT_VENV)/bin/python -m pytest tests/actions -q
	bash scripts/test_bot.sh

test: install chromium $(MODEL) test-api test-browser test-bot ## Every suite

bench: install $(MODEL) ## Benchmarks (NLU accuracy and language detection, latency, booking)
	bash scripts/bench.sh

audit: $(API_VENV)/.installed $(BOT_VENV)/.installed ## pip-audit both environments (allowlist: tools/audit-allowlist.txt); not in make test
	$(API_PY) tools/audit.py

lint: $(API_VENV)/.installed ## ruff
	$(API_VENV)/bin/ruff check api tests bench actions bot

clean: ## Remove environments, models and local data
	rm -rf $(BOT_VENV) $(API_VENV) models .rasa var .pytest_cache
