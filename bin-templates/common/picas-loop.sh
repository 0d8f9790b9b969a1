# --- common/picas-loop.sh: a PiCaS-style token loop against CouchDB (included by <scheduler>/picas-pilot.sh) ---
# The including template sets, before this line:
#   pilot_id  this pilot as the scheduler names it (logged, and written into each token it locks)
# Needs bash, curl and python3 on the node.
#
# Loop: take one token from the todo view, lock it (a conditional PUT with its _rev: a
# conflict means another pilot won it, take the next), run the token's command, write back
# done/exit code. Stop when the view is empty for idle_timeout seconds, or drain_lead seconds
# before the walltime (checked between tokens, so no new token starts inside the lead; a token
# already running may use it), or on SIGUSR1/TERM: the running token finishes, no new one is taken.
#
# The CouchDB address, database and user are the pool's demand settings (db_url, db_name,
# db_user); password_file comes from the pool's template_vars (usually the same file as the
# demand's password_file, readable on the compute nodes).
# Credentials: the password is read from password_file, which must be mode 0600 or stricter
# and owned by this user. It reaches curl through a config read from standard input (-K -),
# never through a command line or an environment variable that `ps` could show.
set -eu

pool={{pool}}
url={{db_url}}
db={{db_name}}
user={{db_user}}
password_file={{password_file}}
design={{design_doc:-Monitor}}
view={{todo_view:-todo}}
idle_timeout={{idle_timeout}}
walltime_seconds={{walltime_seconds}}
drain_lead_seconds={{drain_lead_seconds}}
poll_seconds={{poll_seconds:-10}}

die() { echo "autopilot pilot: $*" >&2; exit 2; }

[ -r "$password_file" ] || die "cannot read password_file $password_file"
mode=$(stat -c '%a' "$password_file")
owner=$(stat -c '%u' "$password_file")
case "$mode" in
    600|400|700|500) ;;
    *) die "password_file $password_file has mode $mode; it must be 0600 or stricter" ;;
esac
[ "$owner" = "$(id -u)" ] || die "password_file $password_file is not owned by $(id -un)"
command -v python3 >/dev/null || die "python3 is needed to read CouchDB's JSON"

# curl with the credentials on stdin; the body (if any) comes from a file argument.
couch() {  # couch METHOD PATH [BODY_FILE]
    local method=$1 path=$2 body=${3:-}
    {
        # curl config quoting: backslash and double quote are escaped inside "...".
        printf 'user = "%s:' "$(printf '%s' "$user" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
        tr -d '\n' < "$password_file" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'
        printf '"\n'
    } | if [ -n "$body" ]; then
        curl -sS -K - -X "$method" -H 'Content-Type: application/json' --data-binary "@$body" "$url/$db/$path"
    else
        curl -sS -K - -X "$method" "$url/$db/$path"
    fi
}

stop=0
trap 'echo "autopilot pilot: drain requested"; stop=1' USR1 TERM INT
started=$(date +%s)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "autopilot pilot: pool=$pool job=$pilot_id host=$(hostname) db=$url/$db idle_timeout=${idle_timeout}s"
idle_since=$(date +%s)
done_count=0
while [ "$stop" = 0 ]; do
    if [ $(( $(date +%s) - started )) -ge $(( walltime_seconds - drain_lead_seconds )) ]; then
        echo "autopilot pilot: drain lead reached"
        break
    fi
    couch GET "_design/$design/_view/$view?limit=20&include_docs=true" > "$work/todo.json"
    # One token id per line, in view order; lock attempts go down the list.
    python3 -c 'import json,sys; [print(r["id"]) for r in json.load(open(sys.argv[1])).get("rows", [])]' "$work/todo.json" > "$work/ids"
    got=""
    while read -r id && [ "$stop" = 0 ]; do
        couch GET "$id" > "$work/token.json"
        python3 - "$work/token.json" "$work/locked.json" "$(hostname)" "$pilot_id" <<'PY' || continue
import json, sys, time
doc = json.load(open(sys.argv[1]))
if doc.get("lock", 0) or "_rev" not in doc:
    sys.exit(1)
doc["lock"] = int(time.time())
doc["hostname"] = sys.argv[3]
doc["pilot"] = sys.argv[4]
json.dump(doc, open(sys.argv[2], "w"))
PY
        # CouchDB refuses a PUT whose _rev is no longer current: only one pilot wins a token.
        if couch PUT "$id" "$work/locked.json" | grep -q '"ok":true'; then got=$id; break; fi
    done < "$work/ids"

    if [ -z "$got" ]; then
        if [ $(( $(date +%s) - idle_since )) -ge "$idle_timeout" ]; then
            echo "autopilot pilot: no token for ${idle_timeout}s, exiting after $done_count tokens"
            break
        fi
        sleep "$poll_seconds" & wait $! || true
        continue
    fi

    cmd=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("input", ""))' "$work/locked.json")
    echo "autopilot pilot: token $got"
    set +e
    bash -c "$cmd" > "$work/out" 2> "$work/err"
    rc=$?
    set -e
    couch GET "$got" > "$work/token.json"
    python3 - "$work/token.json" "$work/done.json" "$rc" "$work/out" "$work/err" <<'PY'
import json, sys, time
doc = json.load(open(sys.argv[1]))
doc["done"] = int(time.time())
doc["exit_code"] = int(sys.argv[3])
doc["stdout_tail"] = open(sys.argv[4], errors="replace").read()[-4000:]
doc["stderr_tail"] = open(sys.argv[5], errors="replace").read()[-4000:]
json.dump(doc, open(sys.argv[2], "w"))
PY
    couch PUT "$got" "$work/done.json" > /dev/null
    done_count=$((done_count + 1))
    idle_since=$(date +%s)
done
echo "autopilot pilot: stopped after $done_count tokens"
