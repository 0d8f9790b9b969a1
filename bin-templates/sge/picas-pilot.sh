#!/bin/bash
# Autopilot pilot for Grid Engine: a PiCaS-style token loop against CouchDB.
#
# Rendered by `autopilot` for pool {{pool}}; placeholder values arrive shell-quoted. Resources,
# queue and walltime are on the qsub command line (no embedded qsub directives here). The
# loop stops taking tokens drain_lead seconds before h_rt by itself.

pilot_id="${JOB_ID:-?}.${SGE_TASK_ID:-undefined}"
{{> common/picas-loop.sh}}
