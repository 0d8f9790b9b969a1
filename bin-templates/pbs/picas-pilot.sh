#!/bin/bash
# Autopilot pilot for PBS Pro / OpenPBS: a PiCaS-style token loop against CouchDB.
#
# Rendered by `autopilot` for pool {{pool}}; placeholder values arrive shell-quoted. Resources,
# queue and walltime are on the qsub command line (no embedded directives here). The loop
# stops taking tokens drain_lead seconds before the walltime by itself.

pilot_id="${PBS_JOBID:-?}${PBS_ARRAY_INDEX:+ index=$PBS_ARRAY_INDEX}"
{{> common/picas-loop.sh}}
