# Two commands: `make demo` and `make test`. Everything else is set up on the way.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/estate
DEMO_ENV := DEBUG=1 DATABASE_URL=sqlite:///$(CURDIR)/db.sqlite3

.PHONY: demo test lint format test-sqlite test-postgres install bench check-python browser worker

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 或更高版本是必需的 (Python 3.11+ is required); found " + sys.version.split()[0])'

# The virtualenv is rebuilt only when requirements.txt changes.
$(STAMP): requirements.txt | check-python
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

install: $(STAMP)

demo: $(STAMP)
	$(DEMO_ENV) $(PY) manage.py migrate --noinput -v 0
	$(DEMO_ENV) $(PY) manage.py seed_demo
	@echo "公共网站 (public site): http://127.0.0.1:8000/   工作台 (staff): http://127.0.0.1:8000/workspace/   公告编辑 (notices): http://127.0.0.1:8000/cms/"
	$(DEMO_ENV) $(PY) manage.py runserver 127.0.0.1:8000

# One machine's background work: a Celery worker with the scheduler (beat) inside it, on the Redis
# in CELERY_BROKER_URL and the database in DATABASE_URL. Several machines: README, 后台任务.
CELERY_BROKER_URL ?= redis://127.0.0.1:6379/0
worker: $(STAMP)
	CELERY_BROKER_URL=$(CELERY_BROKER_URL) $(VENV)/bin/celery -A config worker -B --loglevel=info

# Lint first: a formatting slip fails the run before the slow passes start.
test: lint test-sqlite test-postgres

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Rewrites files: the formatter and the fixable lint rules (import order).
format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Browser tests use Debian's Chromium; PDFs embed a CJK font (wqy-microhei) and are read
# back with poppler-utils; the translation test extracts strings with GNU gettext; the crawl
# (tests/browser/test_crawl.py) loads axe-core from node_modules/ (package-lock.json pins it).
# Installed here when missing and this is a Debian machine we are root on (npm too, for axe-core);
# otherwise those tests skip (and fail under CI=true).
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || ! command -v pdftotext >/dev/null || ! command -v xgettext >/dev/null || { [ ! -f node_modules/axe-core/axe.min.js ] && ! command -v npm >/dev/null; }; then \
		if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
			echo "installing chromium, fonts-wqy-microhei, poppler-utils, gettext and npm (Debian packages)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei poppler-utils gettext npm >/dev/null; \
		else \
			echo "!! chromium, a font, poppler-utils, gettext or npm is missing and cannot be installed here: the tests that need it will skip" >&2; \
		fi; \
	fi
	@if [ ! -f node_modules/axe-core/axe.min.js ]; then \
		if command -v npm >/dev/null; then \
			echo "installing axe-core (npm ci)"; npm ci --no-audit --no-fund --loglevel=error; \
		else \
			echo "!! npm is missing: the browser crawl will skip" >&2; \
		fi; \
	fi

# Both passes run on every core (pytest-xdist, one database per process). The tests that start a
# real Celery worker on the local Redis run afterwards on their own, in one process: beside
# another test process their worker has been seen to leave a requeued job untaken.
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
PYTEST := $(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup -m "not worker"

test-sqlite: $(STAMP) browser
	@echo "== 测试 (tests) on SQLite =="
	DATABASE_URL=sqlite:///$(CURDIR)/db.sqlite3 $(PYTEST)  # (Django tests SQLite in memory; the file is untouched)

# Outside CI an unreachable PostgreSQL is reported and skipped; with CI=true it fails the run.
test-postgres: $(STAMP) browser
	@if DATABASE_URL=$(PG_URL) $(PY) .ci/pg_reachable.py; then \
		echo "== 测试 (tests) on PostgreSQL =="; \
		DATABASE_URL=$(PG_URL) $(PYTEST) && \
		echo "== 后台任务测试 (tests with a real Celery worker) on PostgreSQL and Redis ==" && \
		DATABASE_URL=$(PG_URL) $(PY) -m pytest -m worker; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL at $(PG_URL) is unreachable, and CI requires it." >&2; exit 1; \
	else \
		echo "!! PostgreSQL at $(PG_URL) is unreachable: the PostgreSQL pass is SKIPPED. Set PG_URL or start the server." >&2; \
	fi

# Every bench in its own process, one table at the end (bench/run_all.py); `make bench B="tally ledger"`
# runs a few. PostgreSQL benches make a throwaway database on the server in PG_URL.
bench: $(STAMP)
	PG_URL=$(PG_URL) $(PY) bench/run_all.py $(B)
