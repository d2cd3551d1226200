#!/usr/bin/env bash
# Security gates, run by scripts/test.sh (and `make security-gates`):
#   1. bandit over src/itsm (config in pyproject.toml [tool.bandit]): no finding of medium or
#      high severity with medium or high confidence.
#   2. pip-audit of the pinned locks (no resolution): no known vulnerability, except those
#      listed in security/pip-audit-ignore.txt. Offline-tolerant: when the vulnerability
#      service cannot be reached this warns and passes; when it answers, findings fail.
# `itsm check --deploy --fail-level WARNING` under production settings is a test
# (core/tests/test_security.py::test_production_settings_pass_the_deploy_check), not run here.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
LOCKS=(requirements.lock requirements-test.lock)
IGNORE_FILE=security/pip-audit-ignore.txt
status=0
summary=()

echo "=== bandit (src/itsm, medium+ severity and confidence) ==="
"$BIN/bandit" -c pyproject.toml -r src/itsm --severity-level medium --confidence-level medium \
  2> >(grep -v '	INFO	' >&2)
rc=$?
if [ $rc -eq 0 ]; then
  summary+=("bandit: passed (no medium/high finding; lower ones are counted above)")
else
  summary+=("bandit: FAILED (fix the findings above, or add '# nosec BXXX - reason' to a false positive)")
  status=1
fi

echo "=== pip-audit (${LOCKS[*]}) ==="
ignore_args=()
if [ -f "$IGNORE_FILE" ]; then
  while IFS= read -r line; do
    id="${line%%#*}"; id="${id//[[:space:]]/}"
    [ -z "$id" ] && continue
    reason="${line#*#}"
    if [[ "$line" != *"#"* || -z "${reason//[[:space:]]/}" ]]; then
      echo "error: $IGNORE_FILE: '$id' has no '# reason'" >&2
      summary+=("pip-audit: FAILED: '$id' in $IGNORE_FILE has no '# reason'")
      status=1
    fi
    ignore_args+=(--ignore-vuln "$id")
  done < "$IGNORE_FILE"
fi

out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
# What a failure to reach (or to get an answer from) the vulnerability service looks like:
# pip-audit's own message, or an uncaught requests/urllib3/pip-audit ServiceError traceback.
NETWORK_ERRORS='network may be blocking|Could not connect|ConnectionError|ConnectTimeout|ReadTimeout|Max retries exceeded|NameResolutionError|Name or service not known|Temporary failure in name resolution|ProxyError|SSLError|ServiceError'
for lock in "${LOCKS[@]}"; do
  total=$(grep -cE '^[A-Za-z0-9].*==' "$lock")
  "$BIN/pip-audit" --no-deps --disable-pip -r "$lock" --progress-spinner off \
    "${ignore_args[@]}" >"$out" 2>"$err"
  rc=$?
  skipped=$(grep -c 'could not be audited' "$out")
  found=$(grep -oE 'Found [0-9]+ known vulnerabilit(y|ies)(, ignored [0-9]+)? in [0-9]+ packages?' "$err")
  if [ $rc -eq 0 ] || [ -n "$found" ]; then
    grep -v -- '--no-deps is supported\|Consider using a tool like' "$err" >&2
    # The service answered: the table lists vulnerabilities (and dependencies it skipped).
    [ -n "$found" ] && cat "$out"
    if [ -n "$found" ]; then
      summary+=("pip-audit $lock: FAILED: $found (upgrade, or list the ID with a reason in $IGNORE_FILE)")
      status=1
    else
      summary+=("pip-audit $lock: no known vulnerabilities in $((total - skipped)) of $total packages")
    fi
    if [ "$skipped" -gt 0 ]; then
      echo "WARNING: pip-audit could not audit $skipped of $total packages of $lock (the service" \
           "did not know them; is pypi.org a mirror without the JSON API here?):" >&2
      grep 'could not be audited' "$out" | awk '{print $1}' | paste -sd' ' | fold -s -w 96 \
        | sed 's/^/  /' >&2
      summary+=("  WARNING: $skipped of $total packages of $lock were NOT audited")
    fi
  elif grep -qE "$NETWORK_ERRORS" "$err"; then
    echo "WARNING: the vulnerability service could not be reached; $lock was NOT audited:" >&2
    grep -E "$NETWORK_ERRORS" "$err" | tail -1 >&2
    summary+=("pip-audit: WARNING: vulnerability service unreachable, the locks were NOT audited")
    break  # the next lock would only wait for the same network
  else
    echo "pip-audit failed on $lock (exit $rc):" >&2
    cat "$out" "$err" >&2
    summary+=("pip-audit $lock: FAILED (error, see above)")
    status=1
  fi
done

echo "=== Security gates summary ==="
printf '%s\n' "${summary[@]}"
exit $status
