# lib.sh - helpers shared by the tests/infra/start-*.sh scripts (sourced, not run).
# No systemd here: daemons are started directly and tracked by pid file, never by name.

# LOG_TAG is set by the sourcing script.
log() { printf '[%s %s] %s\n' "${LOG_TAG:-infra}" "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
need_root() { [ "$(id -u)" -eq 0 ] || die "must run as root (try: sudo bash $0)"; }

# running PID -> 0 if the process exists and is not a zombie (PID 1 in a container may reap
# orphans lazily, so a dead daemon can linger as Z and /proc/PID still exists).
running() { [ -d "/proc/$1" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]; }

# pid_alive PIDFILE COMM -> 0 if the pid in PIDFILE is alive, not a zombie, and is COMM
# (a stale pid file whose number was reused by another program does not count).
pid_alive() {
  local f=$1 name=$2 pid
  [ -s "$f" ] || return 1
  pid=$(tr -dc '0-9' < "$f")
  [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] \
    && [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" != Z ]
}
pid_of() { tr -dc '0-9' < "$1"; }

# stop_pidfile PIDFILE COMM: TERM, wait up to 10 s, then KILL; removes the pid file.
stop_pidfile() {
  local f=$1 name=$2 pid i
  if pid_alive "$f" "$name"; then
    pid=$(pid_of "$f")
    log "stopping $name (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do running "$pid" || break; sleep 0.1; done
    if running "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$f"
}

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }

# apt_install PKG...: installs what is missing, non-interactively, without letting the
# packages' maintainer scripts start services (there is no init system to own them).
APT_UPDATED=0
apt_install() {
  local missing=() p rc=0 own_policy=0
  for p in "$@"; do pkg_installed "$p" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 0755 /usr/sbin/policy-rc.d; own_policy=1
  fi
  # Another apt run (a parallel start script) holds the dpkg lock: wait for it instead of failing.
  # Package lists fetched in the last hour (by a sibling script) are fresh enough.
  if [ "$APT_UPDATED" = 0 ] && ! find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -60 2>/dev/null | grep -q .; then
    apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null || rc=$?
    APT_UPDATED=1
  fi
  if [ "$rc" = 0 ]; then
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
  fi
  [ "$own_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  [ "$rc" = 0 ] || die "apt-get install ${missing[*]} failed ($rc)"
}

# Where the connection facts and generated passwords live (see services.env).
STATE_ROOT=/var/lib/autopilot-test

# gen_secret FILE [OWNER]: creates FILE with a random password (0600) unless it exists; prints it.
gen_secret() {
  local f=$1
  install -d -m 0755 "$(dirname "$f")"
  if [ ! -s "$f" ]; then
    ( umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 32 > "$f" )
  fi
  chmod 0600 "$f"
  cat "$f"
}
