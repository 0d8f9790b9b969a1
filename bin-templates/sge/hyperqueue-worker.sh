#!/bin/bash
# Autopilot pilot for Grid Engine: one HyperQueue worker per pilot job (or array task).
#
# Rendered by `autopilot` for pool {{pool}}; placeholder values arrive shell-quoted. Resources,
# queue and walltime are on the qsub command line (no embedded qsub directives here). The
# worker's time limit (walltime - drain_lead) makes it leave before h_rt kills the job; a
# SIGUSR1 from a site's s_rt or -notify is passed on as a stop request.

pilot_id="${JOB_ID:-?}.${SGE_TASK_ID:-undefined}"
# --manager none: HyperQueue detects PBS and Slurm allocations, not Grid Engine ones.
hq_manager=none
{{> common/hyperqueue-worker.sh}}
