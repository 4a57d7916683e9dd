#!/usr/bin/env bash
# "See what the network sees", driven as a person would: in tmux, train briefly, drill into a
# confusion cell, toggle the saliency overlay, clear the filter; then `predict --explain`.
# Usage: .ci/e2e-see.sh path/to/ferdash
#   E2E_TIMEOUT  seconds to wait for the first evaluation (default 180).
# Prints PASS/FAIL lines; exits non-zero when anything failed. Every wait is a polled condition
# with a timeout.
set -uo pipefail
bin="$(realpath "${1:?usage: e2e-see.sh path/to/ferdash}")"
timeout_s="${E2E_TIMEOUT:-180}"
sock="ferdash-see-$$"                 # a private tmux server: never touches the person's sessions
sess="see"
source "$(dirname "${BASH_SOURCE[0]}")/tmux-session.sh"

# --- predict --explain: a PNG per face, named in the JSON, also with --tta
"$bin" synth --out "$work/faces.csv" --count 2 --seed 4 --png-dir "$work/png" >/dev/null 2>&1
"$bin" train --headless --arch seed --steps 20 --eval-every 20 --run-dir "$work/run0" >"$work/train0.txt" 2>&1
if "$bin" predict --model "$work/run0" --no-detect --tta --explain "$work/explain" --json "$work"/png/*.png >"$work/explain.json" 2>"$work/err.txt" \
    && python3 - "$work/explain.json" <<'PY'
import json, struct, sys
files = json.load(open(sys.argv[1]))
assert len(files) == 2, files
for f in files:
    path = f["faces"][0]["explanation"]
    head = open(path, "rb").read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", head[16:24])
    assert width > 240 and height > 240, (width, height)
PY
then pass "predict --explain --tta writes a PNG per face and --json names it"
else fail "predict --explain"; cat "$work/err.txt"; fi
if "$bin" predict --model "$work/run0" --no-detect --explain "$work/explain.json" "$work"/png/*.png >/dev/null 2>"$work/err.txt"; then
    fail "--explain onto a file succeeded"
elif grep -q "not a directory" "$work/err.txt"; then pass "--explain onto a file is a clear error"
else fail "--explain onto a file: $(cat "$work/err.txt")"; fi

# --- the dashboard at 120×40 in 256 colours
tm new-session -d -s "$sess" -x 120 -y 40 -e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 -e PS1='e2e$ ' "bash --norc --noprofile"
tm set-option -t "$sess" -g default-terminal "tmux-256color" >/dev/null 2>&1
wait_for 'e2e\$' 5
keys "cd '$work' && clear && TERM=tmux-256color '$bin' train --arch seed --run-dir '$work/run' --steps 100000 --eval-every 30 --batch-size 32; echo EXIT=\$? > '$work/exit'" Enter

if wait_for 'Confusion +step [0-9]+' "$timeout_s"; then pass "training reaches its first evaluation"
else fail "no evaluation within ${timeout_s}s"; fi

# Pause so the matrix holds still while we pick a cell (evaluations come every 30 steps).
keys Space
wait_for 'paused' 10 || fail "space does not pause"
keys Tab
wait_for '▶ Confusion' 3 && pass "Tab focuses the Confusion panel" || fail "Tab does not focus Confusion"
# The first non-empty cell of the anger row, from the screen (cursor starts at anger→anger).
anger_row() { screen | tr -d '[]' | grep -oE '│anger +[0-9 ]+' | head -1; }   # the cursor's brackets removed
col=$(anger_row | awk '{for (i = 2; i <= 8; i++) if ($i > 0) { print i - 2; exit }}')
for ((i = 0; i < ${col:-0}; i++)); do keys Right; done
keys Enter
if wait_for 'Sample  filter: true anger → pred [a-z]+' 3 && wait_for 'validation #[0-9]+/[0-9]+ sel 1/' 3; then
    pass "Enter on a confusion cell filters the samples (title: $(screen | grep -oE 'filter: true anger → pred [a-z]+' | head -1))"
else fail "drill-down into the confusion cell in column ${col:-?}"; fi
# The filtered count matches the cell's count.
n=$(screen | grep -oE 'sel 1/[0-9]+' | head -1 | grep -oE '[0-9]+$')
cell=$(anger_row | awk -v c="${col:-0}" '{print $(c + 2)}')
[[ -n $n && $n == "$cell" ]] && pass "the filter holds the cell's $cell samples" || fail "filter count $n vs cell $cell"

keys x
if wait_for 'Sample  filter: .* saliency' 3 && wait_for 'low █+ high' 30; then pass "x shows the saliency overlay with its legend"
else fail "x does not show the saliency overlay"; fi
keys x
wait_for 'saliency off' 3 && ! screen | grep -q 'low █' && pass "x again turns it off" || fail "x does not turn the overlay off"

keys Escape
if wait_for 'showing all' 3 && ! screen | grep -q 'filter:'; then pass "Esc clears the filter"
else fail "Esc does not clear the filter"; fi

keys 4
wait_for 'Sample  filter: true happy' 3 && pass "4 shows only true happy samples" || fail "digit filter"
keys 0
wait_for 'showing all' 3 && ! screen | grep -q 'filter:' && pass "0 clears it" || fail "0 does not clear"

keys Space
wait_for 'running' 5 || fail "space does not resume"
keys q
wait_for 'Quit' 5 && keys y
for _ in $(seq 1 300); do [[ -f "$work/exit" ]] && break; sleep 0.1; done
[[ $(cat "$work/exit" 2>/dev/null) == "EXIT=0" ]] && pass "quits cleanly" || fail "did not quit cleanly ($(cat "$work/exit" 2>/dev/null))"

echo "e2e-see: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
