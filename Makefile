# 공모평가 — the two commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# The interpreter pinned by .python-version (pyenv), else the first Python 3.12+ on PATH.
PYTHON ?= $(shell pyenv which python 2>/dev/null || command -v python3.13 || command -v python3.12 || command -v python3)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test lint format migrate install messages clean-db chromium

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null || { \
	  echo "공모평가는 Python 3.12 이상이 필요합니다 (찾은 버전: $$($(PYTHON) --version 2>&1))."; \
	  echo "Python 3.12+ is required. Install it (pyenv install 3.12) or run: make PYTHON=/path/to/python3.12 …"; \
	  exit 1; }
	@if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then \
	  echo "Recreating $(VENV): it was made with an older Python."; rm -rf $(VENV); fi
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

migrate: install
	$(PY) manage.py migrate --noinput

## make demo: install, migrate the embedded SQLite database, run the 2023 case, serve it.
demo: migrate
	$(PY) manage.py demo
	@echo ""
	@echo "http://$(HOST):$(PORT)/  (Ctrl+C to stop)"
	$(PY) manage.py runserver $(HOST):$(PORT)

## make chromium: Debian's Chromium for the browser tests (Playwright drives /usr/bin/chromium;
## it cannot download a browser of its own on this network). Installs with apt when missing.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "브라우저 테스트용 Chromium을 설치합니다 (apt-get install chromium)."; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO="sudo"; \
	  $$SUDO apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 \
	    || { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q --no-install-recommends chromium; } \
	    || { echo "Chromium을 설치하지 못했습니다. 직접 설치하세요: sudo apt-get install chromium"; exit 1; }; \
	fi

## make test: the whole test suite, browser tests included (DATABASE_URL selects PostgreSQL; default SQLite).
test: install chromium
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## make messages: refresh the Korean translation catalogue and compile it.
messages: install
	$(PY) manage.py makemessages --locale ko --ignore '.venv/*' --ignore 'var/*' --no-obsolete
	$(PY) manage.py compilemessages --locale ko --ignore '.venv/*'

clean-db:
	rm -f var/db.sqlite3 var/db.sqlite3-wal var/db.sqlite3-shm
