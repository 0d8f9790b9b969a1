# --- common/hypershell-client.sh: one HyperShell client (included by <scheduler>/hypershell-pilot.sh) ---
# The including template sets, before this line:
#   pilot_id     this pilot as the scheduler names it (for the log line)
#   drain_timer  "yes": this script drains the client drain_lead seconds before the walltime
#                from its own timer; "no": the scheduler signals SIGUSR1 itself (or there is no
#                walltime to drain before).
# POSIX sh: the local template runs it with /bin/sh.
#
# The client exits by itself after idle_timeout seconds without work (hs client -T): that is how
# a pool shrinks to zero. SIGUSR1 makes it drain (finish running tasks, take no new ones).
#
# Everything the client needs is passed explicitly, from the pool's template_vars, because the
# pilot runs on a compute node with none of the submitter's environment (sbatch --export=NONE):
#   server_host, server_port   where `hs server` listens (its --bind address must reach the nodes)
#   server_auth_file           a file (mode 0600) holding the server's auth key; read here at run
#                              time into a private HyperShell configuration file that only the
#                              client reads (HYPERSHELL_CONFIG_FILE), removed when the pilot ends.
#                              The key is never on a command line (`ps`), in an environment
#                              variable (/proc/<pid>/environ, every task inherits the client's
#                              environment) or in this script. Unset: HyperShell's own
#                              configuration files (~/.hypershell/config.toml) must hold it.
#   server_tls_ca              the CA certificate the client trusts (HyperShell 2.8 encrypts the
#                              link by default with a certificate the server keeps in <site>/lib/tls)
#   server_tls                 "no" runs the client with --no-tls (the site's choice; the server
#                              must run with --no-tls too)
#   hypershell_site            HYPERSHELL_SITE for the client (where --capture writes task output)
#   hs_capture                 "yes" (default): hs client --capture, each task's stdout/stderr in
#                              <site>/lib/task/<task id>.out|.err on the node, for `autopilot logs`
set -eu

pool={{pool}}
idle_timeout={{idle_timeout}}
threads={{cpus}}
walltime_seconds={{walltime_seconds}}
drain_lead_seconds={{drain_lead_seconds}}
server_host={{server_host:-localhost}}
server_port={{server_port:-50001}}
hs={{hs_command:-hs}}
auth_file={{server_auth_file:-}}
tls={{server_tls:-yes}}
tls_ca={{server_tls_ca:-}}
site={{hypershell_site:-}}
capture={{hs_capture:-yes}}

fail() { echo "autopilot pilot: $*" >&2; exit 2; }

set -- client -H "$server_host" -p "$server_port" -N "$threads" -T "$idle_timeout"
case $capture in
    yes) set -- "$@" --capture ;;
    no) ;;
    *) fail "hs_capture must be yes or no, not '$capture'" ;;
esac
case $tls in
    no) set -- "$@" --no-tls ;;
    yes) if [ -n "$tls_ca" ]; then
             [ -r "$tls_ca" ] || fail "server_tls_ca '$tls_ca' is not a readable file"
             set -- "$@" --tls-ca "$tls_ca"
         fi ;;
    *) fail "server_tls must be yes or no, not '$tls'" ;;
esac

# The auth key: from its private file into a private configuration file, never into a variable
# that is exported. `read` and `printf` are shell builtins: the key is no process's argument.
config=""
if [ -n "$auth_file" ]; then
    [ -r "$auth_file" ] || fail "server_auth_file '$auth_file' is not readable"
    [ -z "$(find "$auth_file" -maxdepth 0 -perm /077 2>/dev/null)" ] \
        || fail "server_auth_file '$auth_file' is readable by group or others: chmod 600 it"
    key=""
    IFS= read -r key < "$auth_file" || [ -n "$key" ] || fail "server_auth_file '$auth_file' is empty"
    case $key in
        '' | *[!A-Za-z0-9._+/=-]*) fail "server_auth_file '$auth_file' does not hold a HyperShell auth key (letters, digits, . _ + / = -)" ;;
    esac
    config=$(umask 077 && mktemp "${TMPDIR:-/tmp}/autopilot-hs-client.XXXXXX") || fail "cannot create a private file in ${TMPDIR:-/tmp}"
    printf '[server]\nauth = "%s"\n' "$key" > "$config"
    key=""
fi

echo "autopilot pilot: pool=$pool job=$pilot_id host=$(hostname) pid=$$ threads=$threads server=$server_host:$server_port tls=$tls capture=$capture idle_timeout=${idle_timeout}s"

# The client runs in the background so this shell can receive signals and pass them on. Only the
# client gets HYPERSHELL_CONFIG_FILE (and HYPERSHELL_SITE): this shell's environment stays as it was.
# Its "system" log style puts the client's id on every line of this pilot's log: Autopilot reads
# it there to tie the task table's client_id to this pilot (busy time, docs/report.md).
if [ -n "$config" ] && [ -n "$site" ]; then
    HYPERSHELL_LOGGING_STYLE=system HYPERSHELL_CONFIG_FILE=$config HYPERSHELL_SITE=$site "$hs" "$@" &
elif [ -n "$config" ]; then
    HYPERSHELL_LOGGING_STYLE=system HYPERSHELL_CONFIG_FILE=$config "$hs" "$@" &
elif [ -n "$site" ]; then
    HYPERSHELL_LOGGING_STYLE=system HYPERSHELL_SITE=$site "$hs" "$@" &
else
    HYPERSHELL_LOGGING_STYLE=system "$hs" "$@" &
fi
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
if [ -n "$config" ]; then rm -f -- "$config"; fi
echo "autopilot pilot: client exited with $status"
exit "$status"
