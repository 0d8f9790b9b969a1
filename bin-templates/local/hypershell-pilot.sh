#!/bin/sh
# Autopilot pilot for the local scheduler: one HyperShell client.
#
# Rendered by `autopilot` for pool {{pool}}; every placeholder value is substituted already
# shell-quoted, so it is assigned below without further quotes. Placeholders with ":-" take
# the value after it unless the pool's template_vars define them.
#
# Drain: a SIGUSR1 sent to this process is passed on to the client. At the walltime the local
# scheduler's timeout(1) sends SIGTERM, which is passed on too.

pilot_id="${AUTOPILOT_PILOT_ID:-local-$$}"
drain_timer=no
{{> common/hypershell-client.sh}}
