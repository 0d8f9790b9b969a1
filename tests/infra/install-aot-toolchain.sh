#!/usr/bin/env bash
# install-aot-toolchain.sh - what `dotnet publish` of the Native AOT `autopilot` needs besides the
# .NET SDK: a C toolchain for the ILCompiler's link step (clang; gcc also works), objcopy (binutils)
# to strip the symbols, and zlib's headers (Microsoft's list for Debian: clang zlib1g-dev).
# Idempotent; called by tests/run-all.sh before it publishes. deploy/install.sh does not install
# packages: without these it installs the ReadyToRun build and says so.
set -uo pipefail
LOG_TAG=aot-toolchain
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/lib.sh"
need_root
apt_install clang binutils zlib1g-dev
command -v clang >/dev/null || die "clang is not on PATH after installing it"
log "Native AOT toolchain: $(clang --version | head -n 1)"
