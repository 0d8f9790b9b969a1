#!/bin/bash
# Autopilot pilot for Grid Engine: one HyperShell client per pilot job (or array task).
#
# Rendered by `autopilot` for pool {{pool}}; every placeholder value is substituted already
# shell-quoted, so it is assigned below without further quotes. Job name, queue, project,
# h_rt, the parallel environment, h_vmem, output paths and the array range are given on
# the qsub command line by autopilot, so this script carries no embedded qsub directives
# (qsub would read them and they would fight the command line).
#
# Drain: autopilot submits with -l h_rt=<walltime>; at h_rt Grid Engine kills the job with
# SIGKILL. This script asks the client to drain (SIGUSR1: finish running tasks, take no new
# ones) drain_lead seconds ({{drain_lead_seconds}} s) before that, from its own timer. It does
# not rely on a soft limit (-l s_rt): Grid Engine sends that SIGUSR1 to the job's whole process
# group, so every task process that does not handle USR1 would die with it. If a site does
# set s_rt or -notify anyway, the SIGUSR1 this shell receives is passed on too.
# The client exits by itself after idle_timeout seconds without work (hs client -T): that is
# how a pool shrinks to zero. The server address comes from the pool's template_vars
# (server_host, server_port), the auth key from HyperShell's own configuration
# (~/.hypershell/config.toml or HYPERSHELL_SERVER_AUTH), never from a command line.
set -eu

pool={{pool}}
idle_timeout={{idle_timeout}}
threads={{cpus}}
walltime_seconds={{walltime_seconds}}
drain_lead_seconds={{drain_lead_seconds}}
server_host={{server_host:-localhost}}
server_port={{server_port:-50001}}
hs={{hs_command:-hs}}

# JOB_ID, SGE_TASK_ID ("undefined" outside arrays), NSLOTS and HOSTNAME come from Grid Engine.
echo "autopilot pilot: pool=$pool job=${JOB_ID:-?}.${SGE_TASK_ID:-undefined} slots=${NSLOTS:-1} host=$(hostname) server=$server_host:$server_port idle_timeout=${idle_timeout}s"

# The client runs in the background so this shell can receive the signal and pass it on.
"$hs" client -H "$server_host" -p "$server_port" -N "$threads" -T "$idle_timeout" &
client=$!
trap 'echo "autopilot pilot: drain requested"; kill -USR1 "$client" 2>/dev/null || true' USR1
trap 'kill -TERM "$client" 2>/dev/null || true' TERM INT

# The drain timer: signals only the client, never the tasks it runs.
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
