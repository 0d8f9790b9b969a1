#!/bin/bash
# Autopilot pilot for LSF: a PiCaS-style token loop against CouchDB.
#
# Rendered by `autopilot` for pool {{pool}}; placeholder values arrive shell-quoted. Resources,
# queue and walltime are on the bsub command line (no embedded directives here). The loop
# stops taking tokens drain_lead seconds before the walltime by itself.

pilot_id="${LSB_JOBID:-?}${LSB_JOBINDEX:+ index=$LSB_JOBINDEX}"
{{> common/picas-loop.sh}}
