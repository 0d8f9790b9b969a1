#!/bin/bash
# Autopilot pilot for LSF: one HyperShell client per pilot job (or array element).
#
# Rendered by `autopilot` for pool {{pool}}; every placeholder value is substituted already
# shell-quoted, so it is assigned below without further quotes. Job name (with [1-k] for
# arrays), queue, project, -W, -n, rusage and output paths are given on the bsub command line;
# bsub runs this file as the job's command, so #BSUB lines would be ignored, so this script
# carries no embedded directives.
#
# Drain: at the run limit (-W) LSF kills the job. autopilot does not ask for a warning action
# (-wa/-wt) because LSF sends it to every process of the job. So this script asks the client to
# drain (SIGUSR1: finish running tasks, take no new ones) drain_lead seconds
# ({{drain_lead_seconds}} s) before the walltime, from its own timer that signals only the
# client, never its tasks. A SIGUSR1 this shell receives (a site's own warning action) is
# passed on too.

pilot_id="${LSB_JOBID:-?}${LSB_JOBINDEX:+ index=$LSB_JOBINDEX}"
drain_timer=yes
{{> common/hypershell-client.sh}}
