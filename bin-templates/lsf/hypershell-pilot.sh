#!/bin/bash
# Autopilot pilot for LSF: one HyperShell client per pilot job (or array element).
#
# Rendered by `autopilot` for pool {{pool}}; every placeholder value is substituted already
# shell-quoted, so it is assigned below without further quotes. Job name (with [1-k] for arrays), queue, project, -W, -n, rusage and output paths are given on
# the bsub command line; bsub runs this file as the job's command, so #BSUB lines would be ignored,
# so this script carries no embedded directives.
#
# Drain: At the run limit (-W) LSF kills the job. autopilot does not ask for a warning action
# (-wa/-wt) because LSF sends it to every process of the job. So this script asks the client to drain
# (SIGUSR1: finish running tasks, take no new ones) drain_lead seconds ({{drain_lead_seconds}} s)
# before the walltime, from its own timer that signals only the client, never its tasks. A SIGUSR1
# this shell receives (a site's own warning action) is passed on too.
# The client exits by itself after idle_timeout seconds without work (hs client -T): that is how
# a pool shrinks to zero. The server address comes from the pool's template_vars (server_host,
# server_port), the auth key from HyperShell's own configuration (~/.hypershell/config.toml or
# HYPERSHELL_SERVER_AUTH), never from a command line.
set -eu

pool={{pool}}
idle_timeout={{idle_timeout}}
threads={{cpus}}
walltime_seconds={{walltime_seconds}}
drain_lead_seconds={{drain_lead_seconds}}
server_host={{server_host:-localhost}}
server_port={{server_port:-50001}}
hs={{hs_command:-hs}}

echo "autopilot pilot: pool=$pool job=${LSB_JOBID:-?} index=${LSB_JOBINDEX:-} slots=${LSB_DJOB_NUMPROC:-1} host=$(hostname) server=$server_host:$server_port idle_timeout=${idle_timeout}s"

# The client runs in the background so this shell can receive signals and pass them on.
"$hs" client -H "$server_host" -p "$server_port" -N "$threads" -T "$idle_timeout" &
client=$!
trap 'echo "autopilot pilot: drain requested"; kill -USR1 "$client" 2>/dev/null || true' USR1
trap 'kill -TERM "$client" 2>/dev/null || true' TERM INT

# The drain timer: sleep (walltime - lead), then SIGUSR1 to the client only.
drain_at=$(( walltime_seconds - drain_lead_seconds ))
timer=""
if [ "$drain_lead_seconds" -gt 0 ] && [ "$drain_at" -gt 0 ]; then
    ( sleep "$drain_at" && echo "autopilot pilot: drain lead reached" && kill -USR1 "$client" 2>/dev/null ) &
    timer=$!
fi

# `wait` returns early when a trapped signal arrives; keep waiting until the client is gone.
status=0
while :; do
    if wait "$client"; then status=0; else status=$?; fi
    kill -0 "$client" 2>/dev/null || break
done
if [ -n "$timer" ]; then kill "$timer" 2>/dev/null || true; fi
echo "autopilot pilot: client exited with $status"
exit "$status"
