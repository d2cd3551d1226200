# The two commands: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ITSM   := $(BIN)/itsm

.PHONY: run test test-security install install-test assets lint security-gates bench bench-cmdb bench-first-request messages clean

run: install assets
	scripts/ensure-system-packages.sh noto-cjk pdf-libs
	$(ITSM) migrate --noinput -v0
	$(ITSM) createcachetable
	$(ITSM) collectstatic --noinput -v0
	$(ITSM) demo --if-empty
	$(ITSM) serve --with-worker

test: install-test assets
	scripts/test.sh

# The adversarial security suite alone (issue 6), on SQLite and PostgreSQL, with the fault
# injection and the gates. `make test` runs all of it as part of the whole suite.
SECURITY_TESTS := $(addprefix src/itsm/,core/tests/test_access.py \
  core/tests/test_mass_assignment.py core/tests/test_sessions.py \
  core/tests/test_two_factor.py core/tests/test_security.py core/tests/test_fuzz.py \
  core/tests/test_xss.py core/tests/test_templating.py core/tests/test_concurrency.py \
  core/tests/test_numbering.py core/tests/test_audit.py core/tests/test_retention.py \
  core/tests/test_record_delete.py core/tests/test_purge.py core/tests/test_backup.py \
  changes/tests/test_retention.py servicedesk/tests/test_mailintake.py)
test-security: install-test assets
	ITSM_TEST_FAULTS=1 scripts/test.sh $(SECURITY_TESTS) \
	  src/itsm/servicedesk/tests/test_sla.py::test_two_workers_racing_escalate_once

lint: install-test
	$(BIN)/ruff check src $(wildcard bench)

# bandit over src/itsm and pip-audit of the locks (also run by `make test`)
security-gates: install-test
	scripts/security-gates.sh

# Benchmark suite (prints a table, writes bench/results/suite-*.json): ITSM and
# django-helpdesk 2.6.1 (installed from PyPI into bench/.venv-helpdesk) side by side at
# 100k tickets on PostgreSQL and SQLite, ITSM alone at 1M on PostgreSQL. A quick run:
#   make bench BENCH_ARGS="--sizes 10000 --databases postgresql"
BENCH_ARGS ?=
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# CMDB impact analysis on 10,000 items and 30,000 relations (PostgreSQL itsm_bench_cmdb)
bench-cmdb: install
	$(BIN)/python bench/cmdb.py $(BENCH_ARGS)

# The first ticket created after `make run` on a fresh SQLite database (target < 300 ms),
# with and without the warm-up at worker start
bench-first-request: install
	$(BIN)/python bench/first_request.py $(BENCH_ARGS)

messages: install-test
	scripts/translations.sh

install: $(VENV)/.runtime
install-test: $(VENV)/.test
assets: node_modules/.assets

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

$(VENV)/.test: requirements-test.lock $(VENV)/.runtime
	scripts/ensure-system-packages.sh ldap-dev slapd
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-test.lock
	touch $@

node_modules/.assets: package.json package-lock.json
	scripts/ensure-system-packages.sh npm
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf $(VENV) node_modules staticfiles
