#!/usr/bin/env bash
# "See what the network sees", driven as a person would: in tmux, train briefly, drill into a
# confusion cell, toggle the saliency overlay, clear the filter, open the gallery and a face from
# it, click a confusion cell and turn the wheel; browse a model's splits and its run's curves;
# then `predict --explain`.
# Usage: .ci/e2e-see.sh path/to/ferdash
#   E2E_TIMEOUT  seconds to wait for the first evaluation (default 180).
#   E2E_COMMAND_TIMEOUT  seconds any one ferdash run may take before it is stopped (default 600).
#   E2E_CAPTURE=FILE  also saves the gallery screen (120×40) to FILE.
# Prints PASS/FAIL lines; exits non-zero when anything failed. Every wait is a polled condition
# with a limit that says what it waited for; every command runs under `timeout`.
set -uo pipefail
bin="$(realpath "${1:?usage: e2e-see.sh path/to/ferdash}")"
timeout_s="${E2E_TIMEOUT:-180}"
limit="${E2E_COMMAND_TIMEOUT:-600}"
sock="ferdash-see-$$"                 # a private tmux server: never touches the person's sessions
sess="see"
source "$(dirname "${BASH_SOURCE[0]}")/tmux-session.sh" || { echo "FAIL: ${BASH_SOURCE[0]} needs .ci/tmux-session.sh" >&2; exit 2; }
names=(anger disgust fear happy sad surprise neutral)
any="($(IFS='|'; echo "${names[*]}"))"
# Whether the program in the pane asked for mouse reports (1) or not (0), as tmux records it.
mouse_flag() { tm display-message -p -t "$sess" '#{mouse_any_flag}'; }
# click X Y [BUTTON]: what a terminal sends for a mouse press (and release) at cell (X, Y),
# counted from 0, written into the pane. The pane's TERM=tmux-256color has kmous=\E[M and no XM,
# so ncurses enables and decodes the X10/normal encoding: ESC [ M, then button, column and row
# each as one byte + 32, 1-based. (xterm-256color has kmous=\E[<: SGR, "\e[<0;X;YM".) Button
# 0 is the left one, 64/65 the wheel up/down (which has no release); 3 means "released".
click() {
    local x=$1 y=$2 b=${3:-0}
    local at; at="$(printf '%x %x' $((33 + x)) $((33 + y)))"
    keys -H 1b 5b 4d "$(printf %x $((32 + b)))" $at
    ((b < 64)) && keys -H 1b 5b 4d 23 $at
    return 0
}
# cell_xy NAME COL: the screen cell "X Y" of the last digit of column COL's count in NAME's row.
cell_xy() {
    screen | timeout 10 python3 -c '
import re, sys
name, col = sys.argv[1], int(sys.argv[2])
for y, line in enumerate(sys.stdin.read().split("\n")):
    m = re.search("│" + name + " +", line)
    if m:
        nums = list(re.finditer(r"[0-9]+", line[m.end():]))
        print(m.end() + nums[col].end() - 1, y)
        break
' "$1" "$2"
}

# --- predict --explain: a PNG per face, named in the JSON, also with --tta
timeout 120 "$bin" synth --out "$work/faces.csv" --count 2 --seed 4 --png-dir "$work/png" >/dev/null 2>&1
timeout "$limit" "$bin" train --headless --arch seed --steps 20 --eval-every 20 --run-dir "$work/run0" >"$work/train0.txt" 2>&1
if timeout 120 "$bin" predict --model "$work/run0" --no-detect --tta --explain "$work/explain" --json "$work"/png/*.png >"$work/explain.json" 2>"$work/err.txt" \
    && timeout 60 python3 - "$work/explain.json" <<'PY'
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
if timeout 120 "$bin" predict --model "$work/run0" --no-detect --explain "$work/explain.json" "$work"/png/*.png >/dev/null 2>"$work/err.txt"; then
    fail "--explain onto a file succeeded"
elif grep -q "not a directory" "$work/err.txt"; then pass "--explain onto a file is a clear error"
else fail "--explain onto a file: $(cat "$work/err.txt")"; fi

# --- the dashboard at 120×40 in 256 colours
tm new-session -d -s "$sess" -x 120 -y 40 -e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 -e PS1='e2e$ ' "bash --norc --noprofile"
tm set-option -t "$sess" -g default-terminal "tmux-256color" >/dev/null 2>&1
wait_for '[$#]$' 5   # the shell's prompt (bash ignores PS1 from the environment as root)
keys "cd '$work' && clear && TERM=tmux-256color timeout --foreground $limit '$bin' train --arch seed --run-dir '$work/run' --steps 100000 --eval-every 30 --batch-size 32; echo EXIT=\$? > '$work/exit'" Enter

if wait_for 'Confusion +step [0-9]+' "$timeout_s"; then pass "training reaches its first evaluation"
else fail "no evaluation within ${timeout_s}s"; fi
[[ $(mouse_flag) == 1 ]] && pass "the dashboard asks the terminal for mouse reports" || fail "mouse reporting is off"

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
# Both at once: tmux may show the top of a frame before its bottom.
overlay_gone() { screen | grep -q 'saliency off' && ! screen | grep -q 'low █'; }
wait_until "the overlay and its legend to go" 3 overlay_gone && pass "x again turns it off" || fail "x does not turn the overlay off"

keys Escape
if wait_for 'showing all' 3 && ! screen | grep -q 'filter:'; then pass "Esc clears the filter"
else fail "Esc does not clear the filter"; fi

keys 4
wait_for 'Sample  filter: true happy' 3 && pass "4 shows only true happy samples" || fail "digit filter"
keys 0
wait_for 'showing all' 3 && ! screen | grep -q 'filter:' && pass "0 clears it" || fail "0 does not clear"

# --- the gallery of the validation split, labelled with the evaluation's predictions
keys v
wait_for 'validation #0/' 3 || fail "v does not show the validation split"
keys g
if wait_for 'Gallery 1–[0-9]+ of [0-9]+' 3; then pass "g opens the gallery ($(screen | grep -oE 'Gallery 1–[0-9]+ of [0-9]+' | head -1))"
else fail "g does not open the gallery"; fi
if wait_for 'validation: true → predicted, from the evaluation at step [0-9]+' 3 \
    && screen | grep -qE "$any ✓|$any→$any"; then
    pass "its faces are labelled true → predicted ($(screen | grep -oE "$any ✓|$any→$any" | head -3 | paste -sd, -))"
else fail "gallery labels"; fi
sleep 0.3
[[ -n ${E2E_CAPTURE:-} ]] && screen >"$E2E_CAPTURE"
keys Right Down   # 7 faces a row at 120×40: the selection moves to position 1 + 7
keys Enter
if wait_for 'validation #8/[0-9]+' 3 && ! screen | grep -q 'Gallery'; then pass "Enter opens the selected face (#8) in the Sample panel"
else fail "Enter in the gallery"; fi
keys g
wait_for 'Gallery 1–' 3 && keys Escape
wait_for 'validation #8/' 3 && ! screen | grep -q 'Gallery' && pass "g then Esc returns to the same face" || fail "Esc in the gallery"

# --- the mouse: a click on a confusion cell filters like Enter on it; the wheel moves samples
read -r cx cy < <(cell_xy anger "${col:-0}")
if [[ -n ${cx:-} ]]; then
    click "$cx" "$cy"
    if wait_for "Sample  filter: true anger → pred ${names[${col:-0}]}" 3; then
        pass "a click on the anger → ${names[${col:-0}]} cell at ($cx,$cy) filters to it"
    else fail "a click on the confusion cell at ($cx,$cy) (anger → ${names[${col:-0}]})"; fi
else fail "no anger row on the screen to click"; fi
keys Escape
wait_for 'validation #0/' 3 || fail "Esc does not clear the clicked filter"
click 60 20 65
wait_for 'validation #1/' 3 && pass "the wheel down shows the next sample" || fail "wheel down"
click 60 20 64
wait_for 'validation #0/' 3 && pass "the wheel up the previous one" || fail "wheel up"

keys Space
wait_for 'running' 5 || fail "space does not resume"
keys q
wait_for 'Quit' 5 && keys y
for _ in $(seq 1 300); do [[ -f "$work/exit" ]] && break; sleep 0.1; done
[[ $(cat "$work/exit" 2>/dev/null) == "EXIT=0" ]] && pass "quits cleanly" || fail "did not quit cleanly ($(cat "$work/exit" 2>/dev/null))"
# Reporting off again: a click in the shell now reaches no one, so it prints no escape codes.
[[ $(mouse_flag) == 0 ]] && pass "mouse reporting is off after quitting" || fail "mouse reporting still on after quitting"

# --- browse --model: the model scored on the split on screen, its run's curves in the Loss panel
rm -f "$work/exit"
keys "clear && timeout --foreground $limit '$bin' browse --model '$work/run0'; echo EXIT=\$? > '$work/exit'" Enter
if wait_for 'Confusion  train  step 20  acc [0-9.]+%' 120 "the split on screen, scored"; then
    pass "browse --model scores the split on screen ($(screen | grep -oE 'Confusion  train  step 20  acc [0-9.]+%' | head -1))"
else fail "browse --model does not score the train split"; fi
wait_for 'val acc [0-9.]+%  best' 10 && screen | grep -q 'train (smoothed)' \
    && pass "its Loss panel shows the run's curves" || fail "browse --model: no curves from the run's metrics.jsonl"
keys T
if wait_for 'Confusion  test  step 20  acc [0-9.]+%' 60 "the test split, scored"; then pass "T scores the test split"
else fail "T does not score the test split"; fi
keys g
if wait_for 'test: true → predicted, by the model \(step 20\)' 5 && screen | grep -qE "$any ✓|$any→$any"; then
    pass "the test split's gallery is labelled true → predicted"
else fail "the test split's gallery"; fi
keys q
wait_file "$work/exit" 10 && [[ $(cat "$work/exit") == "EXIT=0" ]] || fail "browse --model did not quit cleanly"
# An exported checkpoint has no run beside it: the Loss panel says so instead of staying blank.
rm -f "$work/exit"
mkdir -p "$work/compact"
timeout 120 "$bin" export --model "$work/run0" --format checkpoint --output "$work/compact/model.ferdash" >/dev/null 2>"$work/err.txt" \
    || fail "export --format checkpoint: $(cat "$work/err.txt")"
keys "clear && timeout --foreground $limit '$bin' browse --model '$work/compact/model.ferdash'; echo EXIT=\$? > '$work/exit'" Enter
wait_for 'no training curves: the model.s run folder has no metrics.jsonl' 30 \
    && pass "an exported checkpoint's Loss panel says it has no curves" || fail "no note for a model without its run"
keys q
wait_file "$work/exit" 10 && [[ $(cat "$work/exit") == "EXIT=0" ]] || fail "browse of an exported checkpoint did not quit cleanly"

# --- --no-mouse: the terminal keeps its own selection
rm -f "$work/exit"
keys "clear && timeout --foreground $limit '$bin' browse --no-mouse; echo EXIT=\$? > '$work/exit'" Enter
if wait_for 'browse' 30; then
    [[ $(mouse_flag) == 0 ]] && pass "--no-mouse leaves mouse reporting off" || fail "--no-mouse still asks for mouse reports"
else fail "browse --no-mouse did not start"; fi
keys q
wait_file "$work/exit" 10 && [[ $(cat "$work/exit") == "EXIT=0" ]] || fail "browse --no-mouse did not quit cleanly"

echo "e2e-see: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
