#!/bin/bash
# Autopilot pilot for PBS Pro / OpenPBS: one HyperQueue worker per pilot job (or array element).
#
# Rendered by `autopilot` for pool {{pool}}; placeholder values arrive shell-quoted. Resources,
# queue and walltime are on the qsub command line (no embedded directives here).
#
# The worker connects through the server directory (a shared file system path holding the
# server's access file, template_vars.server_dir), exits after idle_timeout seconds without
# tasks, and is given a time limit of walltime - drain_lead so that HyperQueue stops handing it
# tasks that would not finish and it leaves before the scheduler kills the job. A SIGUSR1 is
# passed on as a stop request.
set -eu

pool={{pool}}
server_dir={{server_dir}}
idle_timeout={{idle_timeout}}
cpus={{cpus}}
walltime_seconds={{walltime_seconds}}
drain_lead_seconds={{drain_lead_seconds}}
hq={{hq_command:-hq}}

life=$(( walltime_seconds - drain_lead_seconds ))
if [ "$life" -le 0 ]; then life=$walltime_seconds; fi

echo "autopilot pilot: pool=$pool job=${PBS_JOBID:-?} index=${PBS_ARRAY_INDEX:-} host=$(hostname) server_dir=$server_dir idle_timeout=${idle_timeout}s time_limit=${life}s"

# --manager pbs: HyperQueue reads the PBS allocation (job id, walltime) itself.
"$hq" --server-dir "$server_dir" worker start \
    --manager pbs \
    --cpus "$cpus" \
    --idle-timeout "${idle_timeout}s" \
    --time-limit "${life}s" &
worker=$!
trap 'echo "autopilot pilot: stop requested"; kill -TERM "$worker" 2>/dev/null || true' USR1 TERM INT

status=0
while :; do
    if wait "$worker"; then status=0; else status=$?; fi
    kill -0 "$worker" 2>/dev/null || break
done
echo "autopilot pilot: worker exited with $status"
exit "$status"
