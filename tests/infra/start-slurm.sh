#!/usr/bin/env bash
# start-slurm.sh - single-node Slurm on localhost, without systemd (Debian 12: slurm-wlm 22.05, munge).
#
# Idempotent: installs what is missing, writes /etc/slurm/slurm.conf, starts only the daemons that
# are not running and restarts them only when the configuration really changed. It never wipes
# controller state and never cancels jobs, so it is safe while other people's jobs are queued.
#
# Environment:
#   SLURM_PARTITION  partition name                        (default: debug)
#   SLURM_CPUS       CPUs the node advertises               (default: 8; more than the cores so several
#                    1-CPU pilots run at once, via SlurmdParameters=config_overrides)
#   SLURM_WAIT_SECS  how long to wait for the node           (default: 60)
# Besides the partition, 'apshare' and 'apoverflow' (same node) are created for the share/overflow test.
set -euo pipefail
LOG_TAG=start-slurm
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root

PARTITION="${SLURM_PARTITION:-debug}"
CPUS="${SLURM_CPUS:-8}"
WAIT_SECS="${SLURM_WAIT_SECS:-60}"
CONF=/etc/slurm/slurm.conf
STATE_DIR=/var/lib/slurm/slurmctld
SPOOL_DIR=/var/lib/slurm/slurmd
LOG_DIR=/var/log/slurm
CTLD_PID=/run/slurmctld.pid
SLURMD_PID=/run/slurmd.pid
MUNGE_PID=/run/munge/munged.pid

# ---------------------------------------------------------------- packages
apt_install munge slurmctld slurmd slurm-client

# ---------------------------------------------------------------- host name must resolve
HOST=$(hostname -s)
if ! getent hosts "$HOST" >/dev/null; then
  log "adding '$HOST' to /etc/hosts"
  echo "127.0.0.1 $HOST" >> /etc/hosts
fi

# ---------------------------------------------------------------- munge
install -d -o munge -g munge -m 0700 /etc/munge /var/log/munge
install -d -o munge -g munge -m 0711 /var/lib/munge
install -d -o munge -g munge -m 0755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  log "creating munge key"
  if command -v mungekey >/dev/null; then
    mungekey --create --keyfile=/etc/munge/munge.key --force
  else
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
if ! pid_alive "$MUNGE_PID" munged; then
  log "starting munged"
  rm -f "$MUNGE_PID" /run/munge/munge.socket.2 /run/munge/munge.socket.2.lock
  runuser -u munge -- /usr/sbin/munged      # forks itself, writes $MUNGE_PID
fi
for i in $(seq 1 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
munge -n | unmunge >/dev/null || die "munge does not work (see /var/log/munge/munged.log)"

# ---------------------------------------------------------------- slurm.conf
install -d -m 0755 /etc/slurm
install -d -o slurm -g slurm -m 0755 "$STATE_DIR" "$SPOOL_DIR" "$LOG_DIR"

overrides=""
[ "$CPUS" -ne "$(nproc)" ] && overrides="SlurmdParameters=config_overrides"

NEWCONF=$(mktemp)
trap 'rm -f "$NEWCONF"' EXIT
cat > "$NEWCONF" <<CONF
# Written by Autopilot tests/infra/start-slurm.sh: single-node test cluster.
# The name is also saved in StateSaveLocation; slurmctld refuses to start if they differ.
ClusterName=localcluster
SlurmctldHost=${HOST}
SlurmUser=slurm
AuthType=auth/munge
StateSaveLocation=${STATE_DIR}
SlurmdSpoolDir=${SPOOL_DIR}
SlurmctldPidFile=${CTLD_PID}
SlurmdPidFile=${SLURMD_PID}
SlurmctldLogFile=${LOG_DIR}/slurmctld.log
SlurmdLogFile=${LOG_DIR}/slurmd.log
# No cgroups: the cgroup layout of a CI machine is not ours to rely on.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
# No slurmdbd: finished jobs are read with 'sacct -c' from the jobcomp file.
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=${LOG_DIR}/jobcomp.log
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# The default batch_sched_delay=3 makes a submit wait up to 3 s for the scheduler.
SchedulerParameters=batch_sched_delay=0
ReturnToService=2
MpiDefault=none
MailProg=/bin/true
# Finished jobs stay visible to 'squeue -t all' this many seconds.
MinJobAge=300
${overrides}
NodeName=${HOST} NodeAddr=127.0.0.1 CPUs=${CPUS} RealMemory=1000 State=UNKNOWN
PartitionName=${PARTITION} Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
if ! cmp -s "$NEWCONF" "$CONF"; then
  install -m 0644 "$NEWCONF" "$CONF"
  log "wrote $CONF (CPUs=$CPUS, partition $PARTITION)"
  # Node CPUs and partitions need a real restart, not 'scontrol reconfigure'. Queued and running
  # jobs survive: controller state stays in $STATE_DIR and slurmstepd outlives slurmd.
  if pid_alive "$SLURMD_PID" slurmd || pid_alive "$CTLD_PID" slurmctld; then
    log "configuration changed: restarting slurmctld and slurmd"
  fi
  stop_pidfile "$SLURMD_PID" slurmd
  stop_pidfile "$CTLD_PID" slurmctld
fi

# ---------------------------------------------------------------- daemons
if ! pid_alive "$CTLD_PID" slurmctld; then
  log "starting slurmctld"
  /usr/sbin/slurmctld || die "slurmctld failed to start: $(tail -n 3 "$LOG_DIR/slurmctld.log")"
fi
for i in $(seq 1 100); do scontrol ping >/dev/null 2>&1 && break; sleep 0.1; done
scontrol ping >/dev/null 2>&1 || die "slurmctld not answering (see $LOG_DIR/slurmctld.log)"

if ! pid_alive "$SLURMD_PID" slurmd; then
  log "starting slurmd"
  /usr/sbin/slurmd -N "$HOST" || die "slurmd failed to start: $(tail -n 3 "$LOG_DIR/slurmd.log")"
fi

# 'sacct -c' opens the jobcomp file for append even to read it; slurmctld resets it to 0644.
for i in $(seq 1 20); do [ -e "$LOG_DIR/jobcomp.log" ] && break; sleep 0.1; done
chmod 0666 "$LOG_DIR/jobcomp.log" 2>/dev/null || true

# ---------------------------------------------------------------- wait for the node
deadline=$(( $(date +%s) + WAIT_SECS ))
state=""
while :; do
  state=$(sinfo -h -n "$HOST" -o '%T' 2>/dev/null | head -n1 || true)
  case "$state" in
    idle|mixed|allocated|completing) break ;;
    down*|drain*|fail*) scontrol update NodeName="$HOST" State=RESUME >/dev/null 2>&1 || true ;;
  esac
  [ "$(date +%s)" -lt "$deadline" ] || die "node $HOST not ready after ${WAIT_SECS}s (state '$state', see $LOG_DIR/slurmd.log)"
  sleep 0.2
done
cpus=$(sinfo -h -n "$HOST" -o '%c' | head -n1)
[ "$cpus" = "$CPUS" ] || die "node $HOST advertises $cpus CPUs, expected $CPUS"
sinfo -h -p "$PARTITION" -o '%P' | grep -q . || die "partition $PARTITION missing"

# ---------------------------------------------------------------- share/overflow partitions
# Two more partitions on the same node for the share/overflow scenario (ShareOverflowOnSlurmTests),
# which turns 'apshare' DOWN and UP again. Created at run time with scontrol, not in slurm.conf: the
# daemons are not restarted under other people's jobs, and a restart that dropped them is repaired here.
for part in apshare apoverflow; do
  if ! scontrol show partition "$part" >/dev/null 2>&1; then
    log "creating partition $part on node $HOST"
    scontrol create PartitionName="$part" Nodes=ALL Default=NO MaxTime=INFINITE State=UP \
      || die "cannot create partition $part (see $LOG_DIR/slurmctld.log)"
  fi
done

log "ready: node $HOST '$state', partition '$PARTITION', CPUs=$cpus (munged=$(pid_of "$MUNGE_PID") slurmctld=$(pid_of "$CTLD_PID") slurmd=$(pid_of "$SLURMD_PID"))"
