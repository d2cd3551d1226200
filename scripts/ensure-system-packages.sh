#!/usr/bin/env bash
# Installs Debian packages the project needs when their command is missing.
# Usage: ensure-system-packages.sh npm|chromium|msgfmt|dovecot|nginx|cjk-font|ldap-dev|slapd|noto-cjk|pdf-libs|poppler ...
# (cjk-font: a font with Chinese glyphs, so the browser tests lay out and screenshot
# Chinese pages as people see them; ldap-dev: the headers python-ldap builds against;
# slapd: the OpenLDAP server the LDAP login tests run; noto-cjk: the Noto CJK fonts the
# PDF reports are set in; pdf-libs: the Pango and HarfBuzz libraries WeasyPrint renders
# PDFs with; poppler: pdftotext and pdftoppm, which the PDF tests read reports back with)
set -euo pipefail
declare -A provides=([npm]=npm [chromium]=chromium [msgfmt]=gettext [dovecot]=dovecot-imapd [nginx]=nginx [cjk-font]=fonts-wqy-microhei [ldap-dev]="libldap2-dev libsasl2-dev" [slapd]="slapd ldap-utils" [noto-cjk]=fonts-noto-cjk [pdf-libs]="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0" [poppler]=poppler-utils)
missing=()
for cmd in "$@"; do
  if [ "$cmd" = cjk-font ]; then
    fc-list :lang=zh 2>/dev/null | grep -q . || missing+=("${provides[$cmd]}")
    continue
  fi
  if [ "$cmd" = noto-cjk ]; then
    fc-list :lang=zh 2>/dev/null | grep -qi "Noto Sans CJK" || missing+=("${provides[$cmd]}")
    continue
  fi
  if [ "$cmd" = pdf-libs ]; then
    for lib in libpango-1.0.so.0 libpangoft2-1.0.so.0 libharfbuzz-subset.so.0; do
      /sbin/ldconfig -p 2>/dev/null | grep -q "$lib" || { missing+=(${provides[$cmd]}); break; }
    done
    continue
  fi
  if [ "$cmd" = poppler ]; then
    command -v pdftotext >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 || missing+=("${provides[$cmd]}")
    continue
  fi
  if [ "$cmd" = ldap-dev ]; then
    [ -f /usr/include/ldap.h ] && [ -f /usr/include/sasl/sasl.h ] || missing+=(${provides[$cmd]})
    continue
  fi
  # daemons such as dovecot live in /usr/sbin, which is not on every user's PATH
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=(${provides[$cmd]:-$cmd})
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "Missing Debian packages: ${missing[*]} (run: apt-get install ${missing[*]})" >&2; exit 1
  fi
else SUDO=""; fi
echo "Installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
