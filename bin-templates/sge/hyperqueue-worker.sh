#!/bin/bash
# Autopilot pilot for Grid Engine: one HyperQueue worker per pilot job (or array task).
#
# Rendered by `autopilot` for pool {{pool}}; placeholder values arrive shell-quoted. Resources,
# queue and walltime are on the qsub command line (no embedded qsub directives here).
#
# The worker connects through the server directory (a shared file system path holding the
# server's access file), exits after idle_timeout seconds without tasks, and is given a time
# limit of walltime - drain_lead so that HyperQueue stops handing it tasks that would not
# finish, and it leaves before h_rt kills the job. A SIGUSR1 (a site's s_rt or -notify) is
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

echo "autopilot pilot: pool=$pool job=${JOB_ID:-?}.${SGE_TASK_ID:-undefined} host=$(hostname) server_dir=$server_dir idle_timeout=${idle_timeout}s time_limit=${life}s"

# --manager none: HyperQueue detects PBS and Slurm allocations, not Grid Engine ones.
"$hq" --server-dir "$server_dir" worker start \
    --manager none \
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
