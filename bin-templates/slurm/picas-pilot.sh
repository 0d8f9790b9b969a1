#!/bin/bash
# Autopilot pilot for Slurm: a PiCaS-style token loop against CouchDB.
#
# Rendered by `autopilot` for pool {{pool}}; placeholder values arrive shell-quoted. Partition,
# time, cpus, memory and output files are on the sbatch command line.
#
# Drain: the loop checks the drain lead itself between tokens; Slurm's SIGUSR1 drain_lead
# seconds before the walltime (to this batch shell only) stops it as well, after the running
# token.
#SBATCH --signal=B:USR1@{{drain_lead_seconds}}

pilot_id="${SLURM_ARRAY_JOB_ID:-${SLURM_JOB_ID:-?}}${SLURM_ARRAY_TASK_ID:+_$SLURM_ARRAY_TASK_ID}"
{{> common/picas-loop.sh}}
