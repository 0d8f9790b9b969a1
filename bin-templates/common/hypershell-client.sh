# --- common/hypershell-client.sh: one HyperShell client (included by <scheduler>/hypershell-pilot.sh) ---
# The including template sets, before this line:
#   pilot_id     this pilot as the scheduler names it (for the log line)
#   drain_timer  "yes": this script drains the client drain_lead seconds before the walltime
#                from its own timer; "no": the scheduler signals SIGUSR1 itself (or there is no
#                walltime to drain before).
# POSIX sh: the local template runs it with /bin/sh.
#
# The client exits by itself after idle_timeout seconds without work (hs client -T): that is how
# a pool shrinks to zero. SIGUSR1 makes it drain (finish running tasks, take no new ones). The
# server address comes from the pool's template_vars (server_host, server_port), the auth key
# from HyperShell's own configuration (~/.hypershell/config.toml or HYPERSHELL_SERVER_AUTH),
# never from a command line, where `ps` would show it.
set -eu

pool={{pool}}
idle_timeout={{idle_timeout}}
threads={{cpus}}
walltime_seconds={{walltime_seconds}}
drain_lead_seconds={{drain_lead_seconds}}
server_host={{server_host:-localhost}}
server_port={{server_port:-50001}}
hs={{hs_command:-hs}}

echo "autopilot pilot: pool=$pool job=$pilot_id host=$(hostname) pid=$$ threads=$threads server=$server_host:$server_port idle_timeout=${idle_timeout}s"

# The client runs in the background so this shell can receive signals and pass them on.
"$hs" client -H "$server_host" -p "$server_port" -N "$threads" -T "$idle_timeout" &
client=$!
trap 'echo "autopilot pilot: drain requested"; kill -USR1 "$client" 2>/dev/null || true' USR1
trap 'kill -TERM "$client" 2>/dev/null || true' TERM INT

# The drain timer: sleep (walltime - lead), then SIGUSR1 to the client only, never to its tasks.
timer=""
drain_at=$(( walltime_seconds - drain_lead_seconds ))
if [ "$drain_timer" = yes ] && [ "$drain_lead_seconds" -gt 0 ] && [ "$drain_at" -gt 0 ]; then
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
