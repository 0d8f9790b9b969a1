#!/usr/bin/env bash
# start-sge.sh - single-node Son of Grid Engine 8.1.9 cell on localhost, without systemd
# (Debian 12: gridengine-master gridengine-exec gridengine-client).
#
# Idempotent: installs (debconf-preseeded), fixes host name aliasing, starts sge_qmaster and
# sge_execd only if they are not running, creates exec/submit host and queue, allows root jobs,
# tunes the scheduler for fast dispatch and waits until the queue instance is usable. Never wipes
# the cell and never deletes jobs.
#
# Environment:
#   SGE_QUEUE      queue name                         (default: all.q)
#   SGE_SLOTS      job slots on the queue instance    (default: 8; SGE does not check this against
#                  the hardware, so several 1-slot pilots run at once on a 2-core box)
#   SGE_WAIT_SECS  how long to wait for readiness     (default: 60)
# Clients need SGE_ROOT=/var/lib/gridengine SGE_CELL=default in their environment.
set -euo pipefail
LOG_TAG=start-sge
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root

export SGE_ROOT=/var/lib/gridengine
export SGE_CELL=default
QUEUE="${SGE_QUEUE:-all.q}"
SLOTS="${SGE_SLOTS:-8}"
WAIT_SECS="${SGE_WAIT_SECS:-60}"
COMMON=$SGE_ROOT/$SGE_CELL/common
SPOOL=/var/spool/gridengine
QMASTER_PID=$SPOOL/qmaster/qmaster.pid
UTIL=$SGE_ROOT/utilbin/lx-amd64

# execd keeps its pid file under $SPOOL/execd/<its own idea of the host name>/execd.pid
execd_pidfile() {
  local f
  for f in "$SPOOL"/execd/*/execd.pid; do
    pid_alive "$f" sge_execd && { echo "$f"; return 0; }
  done
  return 1
}

# ---------------------------------------------------------------- 1. host name must resolve
HOST=$(hostname)
if ! getent hosts "$HOST" >/dev/null; then
  log "adding '$HOST' to /etc/hosts"
  echo "127.0.0.1 $HOST" >> /etc/hosts
fi

# ---------------------------------------------------------------- 2. packages (preseeded)
PKGS=(gridengine-master gridengine-exec gridengine-client)
need=0
for p in "${PKGS[@]}"; do pkg_installed "$p" || need=1; done
if [ "$need" = 1 ]; then
  short=$(hostname -s)
  for p in gridengine-common "${PKGS[@]}"; do
    printf '%s shared/gridengineconfig boolean true\n%s shared/gridenginecell string %s\n%s shared/gridenginemaster string %s\n' \
      "$p" "$p" "$SGE_CELL" "$p" "$short"
  done | debconf-set-selections
  # The postinst calls 'invoke-rc.d gridengine-master start'; apt_install's policy-rc.d denies it.
  apt_install "${PKGS[@]}"
fi
[ -d "$SPOOL/spooldb" ] && [ -e "$COMMON/bootstrap" ] || die "cell not initialised by the gridengine-master postinst"

# ---------------------------------------------------------------- 3. host name aliasing
# SGE compares the name the client claims (gethostname -> 'vm') with the reverse lookup of the
# connection's source IP ('127.0.0.1' -> 'localhost', the FIRST name for it in /etc/hosts).
# Without this file every qstat/qconf fails with
#   'commlib error: access denied (client IP resolved to host name "localhost". This is not
#    identical to clients host name "vm")'
CANON=$("$UTIL/gethostname" -name)
aliases="localhost"
for ip in $(getent ahostsv4 "$CANON" | awk '{print $1}' | sort -u) 127.0.0.1; do
  r=$("$UTIL/gethostbyaddr" -name "$ip" 2>/dev/null || true)
  [ -n "$r" ] && [ "$r" != "$CANON" ] && case " $aliases " in *" $r "*) ;; *) aliases="$aliases $r";; esac
done
want_alias="$CANON $aliases"
restart_needed=0
if [ "$(cat "$COMMON/host_aliases" 2>/dev/null)" != "$want_alias" ]; then
  echo "$want_alias" > "$COMMON/host_aliases"; chmod 0644 "$COMMON/host_aliases"
  log "host_aliases: $want_alias"; restart_needed=1
fi
if [ "$(cat "$COMMON/act_qmaster" 2>/dev/null)" != "$CANON" ]; then
  echo "$CANON" > "$COMMON/act_qmaster"; chown sgeadmin:sgeadmin "$COMMON/act_qmaster"
  chmod 0644 "$COMMON/act_qmaster"; restart_needed=1
fi
if [ "$restart_needed" = 1 ]; then
  f=$(execd_pidfile || true); [ -n "$f" ] && stop_pidfile "$f" sge_execd
  stop_pidfile "$QMASTER_PID" sge_qmaster
fi

# ---------------------------------------------------------------- 4. qmaster
install -d -o sgeadmin -g sgeadmin -m 0755 /run/gridengine "$SPOOL/qmaster" "$SPOOL/execd"
if ! pid_alive "$QMASTER_PID" sge_qmaster; then
  log "starting sge_qmaster"
  /usr/sbin/sge_qmaster || die "sge_qmaster failed to start (see $SPOOL/qmaster/messages)"
fi
for i in $(seq 1 100); do qstat >/dev/null 2>&1 && break; sleep 0.2; done
qstat >/dev/null 2>&1 || die "qmaster not answering (see $SPOOL/qmaster/messages)"

# ---------------------------------------------------------------- 5. configuration
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
# qconf reports success on stderr ('root@vm added ...'); stay quiet unless it fails
q() { local out; out=$("$@" 2>&1) || die "'$*' failed: $out"; }

# global config: allow root jobs (min_uid/min_gid default 1000 rejects uid 0), faster load
# reports, accounting flushed every second so 'qacct -j' sees a job ~1 s after it ends.
qconf -sconf > "$TMP/global"
sed -i -e 's/^min_uid .*/min_uid                      0/' \
       -e 's/^min_gid .*/min_gid                      0/' \
       -e 's/^load_report_time .*/load_report_time             00:00:05/' \
       -e 's/flush_time=[0-9:]*/flush_time=00:00:01/' "$TMP/global"
if ! qconf -sconf | cmp -s - "$TMP/global"; then
  (cd "$TMP" && q qconf -Mconf global)   # the file name must be 'global'
fi

# scheduler: default schedule_interval is 15 s; dispatch right after submit/finish instead,
# and do not let load adjustments block dispatch on a busy 2-core box.
qconf -ssconf > "$TMP/sconf"
sed -i -e 's/^schedule_interval .*/schedule_interval                 0:0:1/' \
       -e 's/^flush_submit_sec .*/flush_submit_sec                  1/' \
       -e 's/^flush_finish_sec .*/flush_finish_sec                  1/' \
       -e 's/^job_load_adjustments .*/job_load_adjustments              NONE/' \
       -e 's/^load_adjustment_decay_time .*/load_adjustment_decay_time        0:0:0/' "$TMP/sconf"
if ! qconf -ssconf | cmp -s - "$TMP/sconf"; then q qconf -Msconf "$TMP/sconf"; fi

qconf -sh  2>/dev/null | grep -qx "$CANON" || q qconf -ah "$CANON"
qconf -ss  2>/dev/null | grep -qx "$CANON" || q qconf -as "$CANON"
if ! qconf -sel 2>/dev/null | grep -qx "$CANON"; then
  printf 'hostname %s\nload_scaling NONE\ncomplex_values NONE\nuser_lists NONE\nxuser_lists NONE\nprojects NONE\nxprojects NONE\nusage_scaling NONE\nreport_variables NONE\n' \
    "$CANON" > "$TMP/exechost"
  q qconf -Ae "$TMP/exechost"
fi

cat > "$TMP/queue" <<EOF
qname                 $QUEUE
hostlist              $CANON
seq_no                0
load_thresholds       NONE
suspend_thresholds    NONE
nsuspend              1
suspend_interval      00:05:00
priority              0
min_cpu_interval      00:05:00
processors            UNDEFINED
qtype                 BATCH INTERACTIVE
ckpt_list             NONE
pe_list               NONE
rerun                 FALSE
slots                 $SLOTS
tmpdir                /tmp
shell                 /bin/sh
prolog                NONE
epilog                NONE
shell_start_mode      unix_behavior
starter_method        NONE
suspend_method        NONE
resume_method         NONE
terminate_method      NONE
notify                00:00:60
owner_list            NONE
user_lists            NONE
xuser_lists           NONE
subordinate_list      NONE
complex_values        NONE
projects              NONE
xprojects             NONE
calendar              NONE
initial_state         default
s_rt                  INFINITY
h_rt                  INFINITY
s_cpu                 INFINITY
h_cpu                 INFINITY
s_fsize               INFINITY
h_fsize               INFINITY
s_data                INFINITY
h_data                INFINITY
s_stack               INFINITY
h_stack               INFINITY
s_core                INFINITY
h_core                INFINITY
s_rss                 INFINITY
h_rss                 INFINITY
s_vmem                INFINITY
h_vmem                INFINITY
EOF
if qconf -sq "$QUEUE" >/dev/null 2>&1; then
  if ! diff -q <(qconf -sq "$QUEUE" | tr -s ' ') <(tr -s ' ' < "$TMP/queue") >/dev/null; then
    q qconf -Mq "$TMP/queue"
  fi
else
  q qconf -Aq "$TMP/queue"
fi

# ---------------------------------------------------------------- 6. execd
if ! execd_pidfile >/dev/null; then
  log "starting sge_execd"
  /usr/sbin/sge_execd || die "sge_execd failed to start (see $SPOOL/execd/*/messages)"
fi

# ---------------------------------------------------------------- 7. wait until usable
deadline=$(( $(date +%s) + WAIT_SECS ))
while :; do
  # queue instance line: 'all.q@vm  BI  0/0/2  0.56  lx-amd64  [states]'; u = execd unheard
  line=$(qstat -f -q "$QUEUE" 2>/dev/null | awk -v q="$QUEUE@$CANON" '$1==q')
  states=$(echo "$line" | awk '{print $6}')
  load=$(echo "$line" | awk '{print $4}')
  if [ -n "$line" ] && [ "$load" != "-NA-" ] && ! [[ "$states" =~ [uaAdDEsSC] ]] \
     && execd_pidfile >/dev/null; then break; fi
  [ "$(date +%s)" -lt "$deadline" ] || die "queue $QUEUE@$CANON not ready after ${WAIT_SECS}s: '$line'"
  sleep 0.3
done

log "ready: $QUEUE@$CANON slots=$SLOTS (sge_qmaster=$(pid_of "$QMASTER_PID") sge_execd=$(pid_of "$(execd_pidfile)"))"
