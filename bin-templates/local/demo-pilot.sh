#!/bin/sh
# Demo pilot for `autopilot demo`: a stand-in for `hs client` that really takes tasks from the
# demo's HyperShell SQLite database until none has come for {{idle_timeout}} seconds.
# Rendered by autopilot: every placeholder below is replaced by a shell-quoted value.
exec {{autopilot}} demo-worker --db {{db_file}} --idle-timeout {{idle_timeout}} --task-seconds {{task_seconds}}
