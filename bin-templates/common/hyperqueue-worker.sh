# --- common/hyperqueue-worker.sh: one HyperQueue worker (included by <scheduler>/hyperqueue-worker.sh) ---
# The including template sets, before this line:
#   pilot_id    this pilot as the scheduler names it (for the log line)
#   hq_manager  the worker's --manager: the scheduler HyperQueue reads the allocation from
#               (pbs, slurm), or none where it cannot.
#
# The worker connects through the server directory (a shared file system path holding the
# server's access file, template_vars.server_dir), exits after idle_timeout seconds without
# tasks, and is given a time limit of walltime - drain_lead so that HyperQueue stops handing it
# tasks that would not finish and it leaves before the scheduler kills the job. A SIGUSR1 (a
# site's own warning signal) is passed on as a stop request.
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

echo "autopilot pilot: pool=$pool job=$pilot_id host=$(hostname) server_dir=$server_dir idle_timeout=${idle_timeout}s time_limit=${life}s"

"$hq" --server-dir "$server_dir" worker start \
    --manager "$hq_manager" \
    --cpus "$cpus" \
    --idle-timeout "${idle_timeout}s" \
    --time-limit "${life}s" &
worker=$!
trap 'echo "autopilot pilot: stop requested"; kill -TERM "$worker" 2>/dev/null || true' USR1 TERM INT

# `wait` returns early when a trapped signal arrives; keep waiting until the worker is gone.
status=0
while :; do
    if wait "$worker"; then status=0; else status=$?; fi
    kill -0 "$worker" 2>/dev/null || break
done
echo "autopilot pilot: worker exited with $status"
exit "$status"
