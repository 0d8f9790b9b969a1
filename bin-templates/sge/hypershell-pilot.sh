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

# JOB_ID and SGE_TASK_ID ("undefined" outside arrays) come from Grid Engine.
pilot_id="${JOB_ID:-?}.${SGE_TASK_ID:-undefined}"
drain_timer=yes
{{> common/hypershell-client.sh}}
