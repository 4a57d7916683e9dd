#!/usr/bin/env bash
# The live dashboard driven as a person would: in tmux, with keys, reading the screen.
# Usage: .ci/e2e-dashboard.sh path/to/ferdash run-dir
#   E2E_FERDASH_ARGS  overrides the arguments (default: train on the built-in data into run-dir);
#                     with arguments that write no checkpoint, also set E2E_SKIP_CHECKPOINT=1.
#   E2E_TIMEOUT       seconds to wait for training to show steps (default 180).
#   E2E_COMMAND_TIMEOUT  seconds any one ferdash run may take before it is stopped (default 600).
# Prints PASS/FAIL lines; exits non-zero when anything failed. Every wait polls for a condition
# with a limit and says what it waited for; ferdash runs under `timeout`; the private tmux server
# (and with it every process started in it) is killed on any exit.
set -uo pipefail
bin="$(realpath "${1:?usage: e2e-dashboard.sh path/to/ferdash run-dir}")"
run="${2:?usage: e2e-dashboard.sh path/to/ferdash run-dir}"
mkdir -p "$(dirname "$run")"
run="$(realpath -m "$run")"
args="${E2E_FERDASH_ARGS:-train --run-dir $run --steps 5000 --eval-every 20 --batch-size 32}"
timeout_s="${E2E_TIMEOUT:-180}"
limit="${E2E_COMMAND_TIMEOUT:-600}"
sock="ferdash-e2e-$$"                 # a private tmux server: never touches the person's sessions
sess="dash"
source "$(dirname "${BASH_SOURCE[0]}")/tmux-session.sh" || { echo "FAIL: ${BASH_SOURCE[0]} needs .ci/tmux-session.sh" >&2; exit 2; }
wait_gone() {
    local re=$1 limit=${2:-10} i
    for ((i = 0; i < limit * 10; i++)); do
        screen | grep -qE -- "$re" || return 0
        sleep 0.1
    done
    return 1
}
# The dashboard as the shell in the pane runs it: stopped (SIGTERM) if it outlives $limit.
dash_cmd="timeout --foreground $limit '$bin'"
# The sample index from the Sample panel header ("train #12/5000").
sample_index() { screen | grep -oE '(train|validation|test) #[0-9]+/' | head -1 | grep -oE '[0-9]+' | head -1; }
step_now() { screen | grep -oE 'step [0-9]+/[0-9]+' | head -1 | grep -oE '[0-9]+' | head -1; }

# --- an image to predict on: from `ferdash synth --png-dir`, else a tiny PNG written by python3, else PGM
img=""
if timeout 120 "$bin" synth --out "$work/one.csv" --count 3 --seed 1 --png-dir "$work/png" >/dev/null 2>&1; then
    img=$(ls "$work"/png/*.png 2>/dev/null | head -1)
fi
if [[ -z $img ]] && command -v python3 >/dev/null; then
    img="$work/face.png"
    timeout 60 python3 - "$img" <<'PY'
import struct, sys, zlib
w = h = 64
rows = b"".join(b"\x00" + bytes((x * 4 + y * 2) % 256 for x in range(w)) for y in range(h))
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY
fi
if [[ -z $img ]]; then
    img="$work/face.pgm"
    { printf 'P5\n48 48\n255\n'; head -c 2304 /dev/urandom; } >"$img"
fi

# --- start the dashboard in a 120×40 terminal, with a shell to come back to
tm new-session -d -s "$sess" -x 120 -y 40 -e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 -e PS1='e2e$ ' "bash --norc --noprofile"
tm set-option -t "$sess" -g default-terminal "${E2E_TERM:-tmux-256color}" >/dev/null 2>&1
wait_for '[$#]$' 10   # the shell's prompt (bash ignores PS1 from the environment as root)
keys "cd '$work' && clear && $dash_cmd $args; echo EXIT=\$? > '$work/exit'" Enter

if wait_for 'running' "$timeout_s" && wait_for 'step [0-9]+/[0-9]+' 10; then
    s1=$(step_now)
    advanced() { s2=$(step_now); [[ -n $s1 && -n $s2 && $s2 -gt $s1 ]]; }
    wait_until "the step to advance past $s1" 30 advanced
    if [[ -n $s1 && -n $s2 && $s2 -gt $s1 ]]; then pass "dashboard shows running and the step count advances ($s1 -> $s2)"
    else fail "step count does not advance ($s1 -> $s2)"; fi
else
    fail "no 'running' with a step count within ${timeout_s}s"
fi
for panel in Status Loss Confusion Sample; do
    screen | grep -q "$panel" && pass "panel $panel visible at 120x40" || fail "panel $panel missing at 120x40"
done

keys Space
if wait_for 'paused' 5; then pass "space pauses"; else fail "space does not show paused"; fi
# A fixed interval on purpose: nothing may happen during it.
p1=$(step_now); sleep 1.5; p2=$(step_now)
[[ -n $p1 && $p1 == "$p2" ]] && pass "no steps while paused ($p1)" || fail "steps continue while paused ($p1 -> $p2)"

i1=$(sample_index)
keys Right Right Right
wait_for "(train|validation|test) #$((i1 + 3))/" 3
i2=$(sample_index)
if [[ -n $i1 && -n $i2 && $i2 -eq $((i1 + 3)) ]]; then pass "arrows browse samples (#$i1 -> #$i2)"; else fail "arrows do not move 3 samples (#$i1 -> #$i2)"; fi
keys Down
wait_for "(train|validation|test) #$((i2 + 10))/" 3
i3=$(sample_index)
[[ -n $i3 && $i3 -eq $((i2 + 10)) ]] && pass "down jumps 10 (#$i2 -> #$i3)" || fail "down did not jump 10 (#$i2 -> #$i3)"
keys v
wait_for 'validation #0/' 3 && pass "v switches to the validation split" || fail "v does not switch split"

keys '?'
if wait_for 'Help' 3 && wait_for 'pause / resume' 1; then pass "? shows the help"; else fail "? does not show help"; fi
keys Escape
wait_gone 'pause / resume' 3 && pass "Esc closes the help" || fail "Esc leaves the help open"

keys p
wait_for 'predict file:' 3 && pass "p opens the path prompt" || fail "p does not open the prompt"
keys -l "$img"
keys Enter
base=$(basename "$img")
if wait_for "$base +pred [a-z]+ [0-9]+%" 15 && wait_for "[0-9]+\.[0-9]%" 2; then
    pass "prediction on $base shows probabilities"
else fail "no probabilities for $base"; fi
keys p C-u
keys -l "$work/does-not-exist.png"
keys Enter
wait_for 'no such file' 5 && pass "a bad path is a message, not a crash" || fail "bad path not reported"
keys Escape

keys Space
wait_for 'running' 5 && pass "space resumes" || fail "space does not resume"

# The misclassified filter needs one evaluation; wait a little for it, skip when training is too slow.
if wait_for 'Confusion +step [0-9]+' 60; then
    keys m
    wait_for 'validation #[0-9]+/[0-9]+ miscl 1/' 3 && pass "m shows only misclassified validation samples" \
        || fail "m does not filter to misclassified samples"
    keys m
else
    echo "SKIP: m (no evaluation within 60 s)"
fi

tm resize-window -t "$sess" -x 80 -y 24
small_ok() { screen | grep -q 'Loss' && screen | grep -q 'Sample' && ! screen | grep -q 'too small'; }
if wait_until "Loss and Sample without 'too small' at 80x24" 5 small_ok; then pass "renders after resize to 80x24"
else fail "broken after resize to 80x24"; fi
tm resize-window -t "$sess" -x 60 -y 20
wait_for 'terminal too small' 3 && pass "below 80x24 says terminal too small" || fail "no too-small screen at 60x20"
tm resize-window -t "$sess" -x 120 -y 40
big_ok() { screen | grep -q 'Confusion' && ! screen | grep -q 'too small'; }
wait_until "Confusion without 'too small' at 120x40" 5 big_ok && pass "renders again at 120x40" || fail "broken after growing back"

keys q
wait_for 'Quit\?' 3 && pass "q asks while training runs" || fail "q does not ask"
keys y
if wait_file "$work/exit" 120; then
    status=$(cat "$work/exit")
    [[ $status == "EXIT=0" ]] && pass "q y exits with status 0" || fail "exit status: $status"
else
    fail "did not exit within 120 s of q y"
fi
# Terminal restored: the shell prompt is back, the dashboard is gone, and the tty is sane again.
keys "stty -a > '$work/stty'; tput cols > '$work/cols'; echo restored-ok" Enter
if wait_for 'restored-ok' 5 && ! screen | grep -qE 'Status|Confusion'; then pass "the shell is back, the dashboard is gone"
else fail "screen still shows the dashboard"; fi
wait_file "$work/stty" 5
if grep -qE '(^| )echo( |$)' "$work/stty" && grep -qE '(^| )icanon( |$)' "$work/stty"; then pass "tty modes restored (echo, icanon)"
else fail "tty modes not restored: $(tr '\n' ' ' <"$work/stty" 2>/dev/null | head -c 300)"; fi
[[ $(cat "$work/cols" 2>/dev/null) == 120 ]] && pass "tput works (120 columns)" || fail "tput cols: $(cat "$work/cols" 2>/dev/null)"

# Ctrl-C behaves like q: it asks, then stops cleanly.
keys "clear; $dash_cmd ${E2E_FERDASH_ARGS:-train --run-dir $run-ctrlc --steps 5000 --eval-every 1000 --batch-size 32}; echo EXIT=\$? > '$work/exit2'" Enter
if wait_for 'running' "$timeout_s" && wait_for 'step [0-9]+/' 20; then
    keys C-c
    wait_for 'Quit\?' 3 && pass "Ctrl-C asks like q" || fail "Ctrl-C does not ask"
    keys y
    wait_file "$work/exit2" 120
    [[ $(cat "$work/exit2" 2>/dev/null) == "EXIT=0" ]] && pass "Ctrl-C y exits with status 0" || fail "Ctrl-C exit: $(cat "$work/exit2" 2>/dev/null)"
else
    fail "second start did not show running"
fi

# --ascii --no-color, then SIGTERM from outside: a clean stop without asking, terminal restored.
keys "clear; $dash_cmd ${E2E_FERDASH_ARGS:-train --run-dir $run-term --steps 5000 --eval-every 1000 --batch-size 32} --ascii --no-color; echo EXIT=\$? > '$work/exit3'" Enter
if wait_for 'running' "$timeout_s" && wait_for 'step [0-9]+/' 20; then
    if screen | LC_ALL=C grep -q '[^ -~]'; then fail "--ascii still draws non-ASCII characters"
    else pass "--ascii draws ASCII only"; fi
    pid=$(pgrep -n -f -- "${E2E_FERDASH_ARGS:-run-dir $run-term}")   # ferdash, or timeout: it passes TERM on
    [[ -n $pid ]] && kill -TERM "$pid"
    wait_file "$work/exit3" 120
    [[ $(cat "$work/exit3" 2>/dev/null) == "EXIT=0" ]] && pass "SIGTERM stops cleanly (status 0)" || fail "SIGTERM exit: $(cat "$work/exit3" 2>/dev/null)"
    keys "stty -a | grep -c ' icanon' > '$work/stty3'" Enter
    wait_file "$work/stty3" 5
    [[ $(cat "$work/stty3" 2>/dev/null) == 1 ]] && pass "terminal restored after SIGTERM" || fail "terminal not restored after SIGTERM"
else
    fail "third start did not show running"
fi

if [[ ${E2E_SKIP_CHECKPOINT:-0} == 1 ]]; then
    echo "SKIP: checkpoint check (E2E_SKIP_CHECKPOINT=1)"
else
    for dir in "$run" "$run-ctrlc" "$run-term"; do
        if ls "$dir"/checkpoint-*.ferdash >/dev/null 2>&1 || ls "$dir"/*checkpoint* >/dev/null 2>&1; then
            pass "a checkpoint exists in $dir"
        else
            fail "no checkpoint in $dir ($(ls "$dir" 2>&1 | tr '\n' ' '))"
        fi
    done
fi

echo "e2e-dashboard: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
