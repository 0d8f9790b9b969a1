#!/bin/bash
# Autopilot pilot for Torque: one HyperShell client per pilot job (or array element).
#
# Rendered by `autopilot` for pool {{pool}}; every placeholder value is substituted already
# shell-quoted, so it is assigned below without further quotes. Job name, queue, account,
# walltime, nodes/ppn, mem, output paths and the array range (-t) are given on the qsub command
# line, so this script carries no embedded directives.
#
# Drain: at walltime Torque sends SIGTERM to the job, then SIGKILL after kill_delay; it has no
# signal ahead of the limit. So this script asks the client to drain (SIGUSR1: finish running
# tasks, take no new ones) drain_lead seconds ({{drain_lead_seconds}} s) before the walltime,
# from its own timer that signals only the client, never its tasks. A SIGUSR1 this shell
# receives (a site's own warning action) is passed on too.

pilot_id="${PBS_JOBID:-?}${PBS_ARRAYID:+ index=$PBS_ARRAYID}"
drain_timer=yes
{{> common/hypershell-client.sh}}
