#!/usr/bin/env bash
# start-chromium.sh - Debian's chromium for the HTML report test (Playwright drives it through
# ExecutablePath=/usr/bin/chromium; no browser download works here). Nothing to start: it only
# installs the package when missing and checks that a headless run renders a page.
set -euo pipefail
LOG_TAG=start-chromium
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root

apt_install chromium fonts-dejavu-core
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium missing after installing the chromium package"
out=$(timeout 60 /usr/bin/chromium --headless --no-sandbox --disable-gpu --dump-dom \
  'data:text/html,<p id=x>ok</p>' 2>/dev/null) || die "headless chromium failed to render a page"
case "$out" in *'<p id="x">ok</p>'*) ;; *) die "headless chromium rendered an unexpected page: $out";; esac
log "chromium ready: $(/usr/bin/chromium --version 2>/dev/null | head -1)"
