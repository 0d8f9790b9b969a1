#!/bin/bash
# Autopilot pilot for Torque: one HyperQueue worker per pilot job (or array element).
#
# Rendered by `autopilot` for pool {{pool}}; placeholder values arrive shell-quoted. Resources,
# queue and walltime are on the qsub command line (no embedded directives here).

pilot_id="${PBS_JOBID:-?}${PBS_ARRAYID:+ index=$PBS_ARRAYID}"
# --manager pbs: HyperQueue's PBS detection also reads Torque's PBS_* variables.
hq_manager=pbs
{{> common/hyperqueue-worker.sh}}
