#!/bin/bash
# Autopilot pilot for PBS Pro / OpenPBS: one HyperShell client per pilot job (or array element).
#
# Rendered by `autopilot` for pool {{pool}}; every placeholder value is substituted already
# shell-quoted, so it is assigned below without further quotes. Job name, queue, account,
# walltime, select (ncpus, mem), output paths and the array range (-J) are given on the qsub
# command line, so this script carries no embedded directives.
#
# Drain: at walltime PBS sends SIGTERM to the job, then SIGKILL after the kill_delay; it has no
# signal ahead of the limit. So this script asks the client to drain (SIGUSR1: finish running
# tasks, take no new ones) drain_lead seconds ({{drain_lead_seconds}} s) before the walltime,
# from its own timer that signals only the client, never its tasks. A SIGUSR1 this shell
# receives (a site's own warning action) is passed on too.

pilot_id="${PBS_JOBID:-?}${PBS_ARRAY_INDEX:+ index=$PBS_ARRAY_INDEX}"
drain_timer=yes
{{> common/hypershell-client.sh}}
