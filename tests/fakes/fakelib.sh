# Shared by the fake scheduler commands (tests/fakes/<kind>/*). Tests copy a kind's fakes and this
# file into a fresh directory; state lives next to the scripts:
#   calls/NNN.<cmd>    the argv of call NNN, NUL-separated (what the test asserts)
#   responses/<cmd>.<k>.{stdout,stderr,exit}   what the k-th call (1-based) prints and returns
#   responses/<cmd>.{stdout,stderr,exit}       the default for any call
#   mode                                       optional switches (one word per line)
FAKE_DIR="$(cd "$(dirname "$0")" && pwd)"
FAKE_CMD="$(basename "$0")"
mkdir -p "$FAKE_DIR/calls"

fake_record() {
    local n
    n=$(find "$FAKE_DIR/calls" -type f | wc -l)
    n=$((n + 1))
    FAKE_CALL=$(printf '%03d' "$n")
    printf '%s\0' "$@" > "$FAKE_DIR/calls/$FAKE_CALL.$FAKE_CMD"
    FAKE_NTH=$(find "$FAKE_DIR/calls" -type f -name "*.$FAKE_CMD" | wc -l)
}

fake_mode() { [ -f "$FAKE_DIR/mode" ] && grep -qx "$1" "$FAKE_DIR/mode"; }

# Prints the recorded response of this call and exits with its status.
fake_replay() {
    local base="$FAKE_DIR/responses/$FAKE_CMD"
    local pick="$base"
    if [ -e "$base.$FAKE_NTH.stdout" ] || [ -e "$base.$FAKE_NTH.stderr" ] || [ -e "$base.$FAKE_NTH.exit" ]; then
        pick="$base.$FAKE_NTH"
    fi
    [ -f "$pick.stdout" ] && cat "$pick.stdout"
    [ -f "$pick.stderr" ] && cat "$pick.stderr" >&2
    if [ -f "$pick.exit" ]; then exit "$(cat "$pick.exit")"; fi
    exit 0
}

# The real tools print a usage message and fail on an option they do not know.
fake_reject() {
    echo "$1" >&2
    exit "${2:-2}"
}
