#!/bin/bash
# Autopilot pilot for LSF: one HyperQueue worker per pilot job (or array element).
#
# Rendered by `autopilot` for pool {{pool}}; placeholder values arrive shell-quoted. Resources,
# queue and walltime are on the bsub command line (no embedded directives here).

pilot_id="${LSB_JOBID:-?}${LSB_JOBINDEX:+ index=$LSB_JOBINDEX}"
# --manager none: HyperQueue detects PBS and Slurm allocations, not LSF ones.
hq_manager=none
{{> common/hyperqueue-worker.sh}}
