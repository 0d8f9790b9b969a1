#!/usr/bin/env bash
# start-hypershell.sh - install the real HyperShell 2.8.2 (`hs`: the task server and the client the
# pilots run) for the end-to-end tests. PyPI is not reachable here, so this calls
# shared/tools/install-hypershell.sh (a bundle of the unmodified sources beside it). Idempotent:
# an `hs` that already prints the expected version is left alone. There is no daemon to start:
# each end-to-end test starts its own `hs server` with its own database, TLS and auth key.
# Fails loudly when `hs --version` does not print "HyperShell v2.8.2".
set -euo pipefail
LOG_TAG=hypershell
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/lib.sh"
need_root

# openssl: the walkthrough in docs/demand-hypershell.md (run by WalkthroughTests) makes the auth key with it.
apt_install openssl

want="HyperShell v2.8.2"
have=$(/usr/local/bin/hs --version 2>/dev/null || true)
# It prints "HyperShell v2.8.2 (CPython 3.11.2)": compare what comes before " (".
if [ "${have%% (*}" = "$want" ]; then
  log "already installed: $have"
  exit 0
fi

# shared/ sits beside the repository: /work/shared on the development machine, ../shared next to
# the clone in CI (a read-only copy). HYPERSHELL_INSTALLER overrides both.
repo="$(cd "$HERE/../.." && pwd)"
installer=${HYPERSHELL_INSTALLER:-}
if [ -z "$installer" ]; then
  for candidate in "$repo/../shared/tools/install-hypershell.sh" "$repo/shared/tools/install-hypershell.sh" /work/shared/tools/install-hypershell.sh; do
    if [ -r "$candidate" ]; then installer=$candidate; break; fi
  done
fi
[ -n "$installer" ] && [ -r "$installer" ] \
  || die "install-hypershell.sh not found (looked in $repo/../shared/tools, $repo/shared/tools, /work/shared/tools; set HYPERSHELL_INSTALLER)"

# The Debian half first, through apt_install (it waits for the dpkg lock a parallel apt run holds),
# so the installer finds its dependencies present and only unpacks the bundle.
apt_install python3 python3-rich python3-paramiko python3-tomlkit python3-psutil python3-cryptography python3-yaml python3-psycopg
log "installing HyperShell 2.8.2 with $installer"
bash "$installer" >/dev/null || die "$installer failed ($?)"
have=$(/usr/local/bin/hs --version 2>&1 || true)
[ "${have%% (*}" = "$want" ] || die "hs --version printed '$have', expected '$want'"
log "installed: $have"
