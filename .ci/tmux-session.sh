# Shared by the tmux end-to-end scripts (sourced, not run): a private tmux server holding one
# session, the screen as text, polled waits with timeouts, keys, and PASS/FAIL counting.
# The sourcing script sets `sock` and `sess` first.
command -v tmux >/dev/null || { echo "FAIL: tmux is not installed"; exit 1; }
work="$(mktemp -d)"
tm() { timeout 20 tmux -L "$sock" -f /dev/null "$@"; }   # a tmux command cannot hang the script
cleanup() { tm kill-server 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

passed=0; failed=0
pass() { echo "PASS: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1"; failed=$((failed + 1)); screen | sed 's/^/    | /' | head -45; }
screen() { tm capture-pane -t "$sess" -p 2>/dev/null; }
# wait_for REGEX [SECONDS] [WHAT]: poll the screen until it matches; on a timeout, say what for.
wait_for() {
    local re=$1 limit=${2:-10} what=${3:+$3: } i
    for ((i = 0; i < limit * 10; i++)); do
        screen | grep -qE -- "$re" && return 0
        sleep 0.1
    done
    echo "    (waited ${limit}s for $what/$re/)"
    return 1
}
keys() { tm send-keys -t "$sess" "$@"; }
# wait_until WHAT SECONDS CMD...: poll until CMD succeeds; on a timeout, say what for.
wait_until() {
    local what=$1 limit=$2 i; shift 2
    for ((i = 0; i < limit * 10; i++)); do
        "$@" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "    (waited ${limit}s for $what)"
    return 1
}
# wait_file FILE [SECONDS]: poll until FILE exists and is not empty.
wait_file() { wait_until "$1" "${2:-10}" test -s "$1"; }
