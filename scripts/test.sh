#!/usr/bin/env bash
# The whole suite, twice: on SQLite and on PostgreSQL; then the fault-injection tests
# (once: they bring their own PostgreSQL cluster and Redis), ruff, the import layers
# (lint-imports) and the security gates.
# Extra arguments go to pytest (and skip the fault tests unless ITSM_TEST_FAULTS=1).
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export ITSM_VAR_DIR="${ITSM_VAR_DIR:-$PWD/var/test}"
mkdir -p "$ITSM_VAR_DIR"

scripts/ensure-system-packages.sh chromium msgfmt cjk-font || echo "warning: could not install chromium/gettext; browser tests will fail" >&2
scripts/ensure-system-packages.sh noto-cjk pdf-libs poppler || echo "warning: could not install fonts-noto-cjk/poppler-utils; the PDF report tests will fail or be skipped" >&2
scripts/ensure-system-packages.sh dovecot || echo "warning: could not install dovecot-imapd; the email intake tests against IMAP will be skipped" >&2
scripts/services.sh start || true

PG_URL="${ITSM_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/itsm}"
# Test files run in parallel worker processes (pytest-xdist; one test database each),
# a whole file per worker so module-scoped fixtures are built once. ITSM_TEST_WORKERS=0
# runs everything in this process.
PARALLEL=(-n "${ITSM_TEST_WORKERS:-2}" --dist loadfile)
status=0
echo "=== Test suite on SQLite ==="
env -u ITSM_DATABASE_URL "$BIN/pytest" "${PARALLEL[@]}" "$@" || status=$?

# The security gates (bandit, pip-audit: mostly waiting on the package index) run beside
# the PostgreSQL suite; their output is shown, and their status counted, at the end.
GATES_LOG="$(mktemp)"
if [ $# -eq 0 ]; then
  scripts/security-gates.sh >"$GATES_LOG" 2>&1 &
  GATES_PID=$!
fi

if "$BIN/python" -c "import psycopg,sys; psycopg.connect('${PG_URL%/*}/postgres', connect_timeout=3).close()" 2>/dev/null; then
  echo "=== Test suite on PostgreSQL ==="
  ITSM_DATABASE_URL="$PG_URL" "$BIN/pytest" "${PARALLEL[@]}" "$@" || status=$?
elif [ -n "${CI:-}" ]; then
  echo "PostgreSQL is not reachable at $PG_URL: CI needs it." >&2
  status=1
else
  echo "!!! PostgreSQL is not reachable at $PG_URL: the PostgreSQL run was SKIPPED." >&2
fi

if [ $# -eq 0 ] || [ -n "${ITSM_TEST_FAULTS:-}" ]; then
  echo "=== Fault injection: PostgreSQL and Redis stopped under load; scale-out behind nginx ==="
  scripts/ensure-system-packages.sh nginx || echo "warning: could not install nginx; the scale-out test will be skipped" >&2
  "$BIN/pytest" -m faults -p no:randomly -q -rs || status=$?
fi

"$BIN/ruff" check src $(ls -d bench 2>/dev/null) || status=$?
# The layers of pyproject.toml [tool.importlinter]: core below the apps, apps in order.
(cd src && "../$BIN/lint-imports" --no-cache ../pyproject.toml) || status=$?
if [ -n "${GATES_PID:-}" ]; then
  wait "$GATES_PID" || status=$?
  cat "$GATES_LOG"
else
  scripts/security-gates.sh || status=$?
fi
rm -f "$GATES_LOG"
exit $status
