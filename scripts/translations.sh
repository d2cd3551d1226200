#!/usr/bin/env bash
# Refresh the zh-Hans catalogue: collect every translatable string of our code into
# src/itsm/locale/zh_Hans/LC_MESSAGES/django.po, then compile it to django.mo.
#
# Run from anywhere:   scripts/translations.sh
# Then translate each new (empty or "#, fuzzy") entry of django.po using the terms of
# GLOSSARY.md, and run this script again so django.mo is recompiled. The test
# src/itsm/core/tests/test_translations.py fails until both are done.
#
# makemessages runs from src/itsm so it scans only our package (not .venv or
# node_modules); the options must stay in step with MAKEMESSAGES_IGNORE in that test.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ITSM="$ROOT/.venv/bin/itsm"
PO="$ROOT/src/itsm/locale/zh_Hans/LC_MESSAGES/django.po"

if [ ! -x "$ITSM" ]; then
  echo "error: $ITSM not found; create the virtualenv first (make install-test)." >&2
  exit 1
fi
for tool in xgettext msgmerge msguniq msgfmt; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "error: $tool not found; install GNU gettext (scripts/ensure-system-packages.sh msgfmt)." >&2
    exit 1
  fi
done

cd "$ROOT/src/itsm"
"$ITSM" makemessages -l zh_Hans --no-obsolete \
  -i "*/tests/*" -i "conftest.py" -i "settings_test.py"
"$ITSM" compilemessages -l zh_Hans
msgfmt --check -o /dev/null "$PO"

untranslated=$(msgattrib --untranslated --no-obsolete "$PO" | grep -c '^msgid ' || true)
fuzzy=$(msgattrib --only-fuzzy --no-obsolete "$PO" | grep -c '^msgid ' || true)
# msgattrib prints the header entry (msgid "") along with any match.
untranslated=$(( untranslated > 0 ? untranslated - 1 : 0 ))
fuzzy=$(( fuzzy > 0 ? fuzzy - 1 : 0 ))
echo "$PO: $untranslated untranslated, $fuzzy fuzzy."
if [ "$untranslated" -gt 0 ] || [ "$fuzzy" -gt 0 ]; then
  echo "Translate those entries (remove the fuzzy flag once checked), then run $0 again." >&2
  exit 2
fi
