#!/bin/sh
# Autopilot pilot for the local scheduler: one HyperShell client.
#
# Rendered by `autopilot` for pool {{pool}}; every placeholder value is substituted already
# shell-quoted, so it is assigned below without further quotes. Placeholders with ":-" take
# the value after it unless the pool's template_vars define them.
#
# The client exits by itself after idle_timeout seconds without work (hs client -T): that is
# how a pool shrinks to zero. SIGUSR1 makes it drain (finish running tasks, take no new ones).
# The server address and auth key come from the pool's template_vars (server_host,
# server_port) and from HyperShell's own configuration (~/.hypershell/config.toml or
# HYPERSHELL_SERVER_AUTH): a key is never put on a command line, where `ps` would show it.
set -eu

pool={{pool}}
idle_timeout={{idle_timeout}}
threads={{cpus}}
server_host={{server_host:-localhost}}
server_port={{server_port:-50001}}
hs={{hs_command:-hs}}

echo "autopilot pilot: pool=$pool host=$(hostname) pid=$$ server=$server_host:$server_port idle_timeout=${idle_timeout}s"

# The client runs in the background so this shell can pass signals on to it.
"$hs" client -H "$server_host" -p "$server_port" -N "$threads" -T "$idle_timeout" &
client=$!
trap 'kill -USR1 "$client" 2>/dev/null || true' USR1
trap 'kill -TERM "$client" 2>/dev/null || true' TERM INT

# `wait` returns early when a trapped signal arrives; keep waiting until the client is gone.
status=0
while :; do
    if wait "$client"; then status=0; else status=$?; fi
    kill -0 "$client" 2>/dev/null || break
done
echo "autopilot pilot: client exited with $status"
exit "$status"
