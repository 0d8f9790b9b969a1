#!/bin/bash
# Autopilot pilot for Slurm: one HyperQueue worker per pilot job (or array task).
#
# Rendered by `autopilot` for pool {{pool}}; placeholder values arrive shell-quoted. Partition,
# time, cpus, memory and output files are on the sbatch command line. No --signal here: the
# worker's own time limit (walltime - drain_lead) already stops it taking tasks that would not
# finish.

pilot_id="${SLURM_ARRAY_JOB_ID:-${SLURM_JOB_ID:-?}}${SLURM_ARRAY_TASK_ID:+_$SLURM_ARRAY_TASK_ID}"
# --manager slurm: HyperQueue reads the Slurm allocation (job id, time limit) itself.
hq_manager=slurm
{{> common/hyperqueue-worker.sh}}
