#!/bin/bash
# Autopilot pilot for Slurm: one HyperShell client per pilot job (or array task).
#
# Rendered by `autopilot` for pool {{pool}}; every placeholder value is substituted already
# shell-quoted (sbatch reads quoted values in #SBATCH lines too). Job name, partition,
# account, time, cpus, memory, output files and extra arguments are given on the sbatch
# command line by autopilot; this script carries only what must be in it.
#
# Drain: Slurm sends SIGUSR1 to this batch shell drain_lead seconds before the walltime ends;
# the shell passes it to the client, which drains (finishes running tasks, takes no new ones).
#SBATCH --signal=B:USR1@{{drain_lead_seconds}}

pilot_id="${SLURM_ARRAY_JOB_ID:-${SLURM_JOB_ID:-?}}${SLURM_ARRAY_TASK_ID:+_$SLURM_ARRAY_TASK_ID}"
drain_timer=no
{{> common/hypershell-client.sh}}
