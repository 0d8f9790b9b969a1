#!/usr/bin/env bash
# stop-all.sh - stop what start-all.sh started, by pid file (never by process name).
# Slurm and Grid Engine jobs still queued or running are cancelled first, so no job process
# outlives its daemon. State (Slurm controller state, the SGE cell, the PostgreSQL cluster, the
# password files) is kept: start-all.sh brings everything back. pouchdb-server is in-memory, so
# its databases are gone after this.
set -uo pipefail
LOG_TAG=stop-all
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root

# OpenSSH server of the remote-pool tests
for f in "$STATE_ROOT"/sshd/*/sshd.pid; do [ -e "$f" ] && stop_pidfile "$f" sshd; done

# Prometheus
for f in "$STATE_ROOT"/prometheus/*/prometheus.pid; do [ -e "$f" ] && stop_pidfile "$f" prometheus; done

# pouchdb-server
for f in "$STATE_ROOT"/couchdb/*/pouchdb-server.pid; do [ -e "$f" ] && stop_pidfile "$f" node; done

# PostgreSQL
if command -v pg_ctlcluster >/dev/null && pg_lsclusters -h 2>/dev/null | awk '$1==15 && $2=="main" && $4=="online" {f=1} END {exit !f}'; then
  log "stopping PostgreSQL 15/main"
  pg_ctlcluster 15 main stop || log "pg_ctlcluster stop failed"
fi

# Grid Engine
export SGE_ROOT=/var/lib/gridengine SGE_CELL=default
SPOOL=/var/spool/gridengine
if pid_alive "$SPOOL/qmaster/qmaster.pid" sge_qmaster; then
  if [ -n "$(qstat -u '*' 2>/dev/null)" ]; then
    log "deleting Grid Engine jobs"
    qdel -f -u '*' >/dev/null 2>&1
    for i in $(seq 1 50); do [ -z "$(qstat -u '*' 2>/dev/null)" ] && break; sleep 0.2; done
  fi
fi
for f in "$SPOOL"/execd/*/execd.pid; do [ -e "$f" ] && stop_pidfile "$f" sge_execd; done
stop_pidfile "$SPOOL/qmaster/qmaster.pid" sge_qmaster

# Slurm (munged last)
if pid_alive /run/slurmctld.pid slurmctld; then
  ids=$(squeue -h -o %A 2>/dev/null | tr '\n' ' ')
  if [ -n "${ids// /}" ]; then log "cancelling Slurm jobs"; scancel $ids 2>/dev/null; fi
  for i in $(seq 1 30); do [ -z "$(squeue -h -t R,CG 2>/dev/null)" ] && break; sleep 0.2; done
fi
stop_pidfile /run/slurmd.pid slurmd
stop_pidfile /run/slurmctld.pid slurmctld
stop_pidfile /run/munge/munged.pid munged
log "stopped"
exit 0
