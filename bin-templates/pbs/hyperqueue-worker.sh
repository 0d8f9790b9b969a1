#!/bin/bash
# Autopilot pilot for PBS Pro / OpenPBS: one HyperQueue worker per pilot job (or array element).
#
# Rendered by `autopilot` for pool {{pool}}; placeholder values arrive shell-quoted. Resources,
# queue and walltime are on the qsub command line (no embedded directives here).

pilot_id="${PBS_JOBID:-?}${PBS_ARRAY_INDEX:+ index=$PBS_ARRAY_INDEX}"
# --manager pbs: HyperQueue reads the PBS allocation (job id, walltime) itself.
hq_manager=pbs
{{> common/hyperqueue-worker.sh}}
