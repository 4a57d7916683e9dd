#!/usr/bin/env bash
# The video view of the dashboard, driven as a person would in tmux: open a scripted video, watch
# the timeline fill, play and pause, step and jump, a click on the timeline, Tab to the other
# face, `e` for the table, and quit with the terminal restored.
# Usage: .ci/e2e-video-view.sh path/to/ferdash
# Prints PASS/FAIL lines; exits non-zero when anything failed. Every wait is a polled condition
# with a limit that says what it waited for; every command runs under `timeout`.
set -uo pipefail
bin="$(realpath "${1:?usage: e2e-video-view.sh path/to/ferdash}")"
sock="ferdash-video-$$"               # a private tmux server: never touches the person's sessions
sess="video"
source "$(dirname "${BASH_SOURCE[0]}")/tmux-session.sh" || { echo "FAIL: ${BASH_SOURCE[0]} needs .ci/tmux-session.sh" >&2; exit 2; }
# click X Y: a left press and release at cell (X, Y), counted from 0, in the X10 encoding the
# pane's TERM=tmux-256color makes ncurses ask for (see e2e-see.sh).
click() {
    local at; at="$(printf '%x %x' $((33 + $1)) $((33 + $2)))"
    keys -H 1b 5b 4d 20 $at
    keys -H 1b 5b 4d 23 $at
}
# The cursor's time on the status line, in seconds ("0:04 / 0:12" → 4).
cursor() { screen | sed -n 2p | grep -oE '[0-9]+:[0-9]{2}(\.[0-9])? / ' | head -1 | awk -F'[: /]' '{print $1 * 60 + $2}'; }

timeout 300 "$bin" synth --video "$work/talk.mp4" --script "happy:6,neutral:6;none:3,surprise:9" >/dev/null 2>&1 \
    || { fail "synth --video"; exit 1; }
tm new-session -d -s "$sess" -x 120 -y 40 -e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 -e PS1='e2e$ ' "bash --norc --noprofile"
tm set-option -t "$sess" -g default-terminal "tmux-256color" >/dev/null 2>&1
wait_for '[$#]$' 5
keys "cd '$work' && clear && TERM=tmux-256color timeout --foreground 300 '$bin' video talk.mp4 --margin 0; echo EXIT=\$? > '$work/exit'" Enter

if wait_for 'Timeline' 30 && wait_for 'finished' 60 "the analysis to finish"; then pass "the video view opens and the analysis finishes"
else fail "the video view"; fi
screen | grep -qE '┌#0 [a-z]+' && screen | grep -q 'dominant' && pass "the frame shows face #0's box and the timeline its strip" \
    || fail "no face box or timeline strip"

keys Space; sleep 1.5; keys Space
wait_for 'paused at 0:0[1-2]' 5 "play for 1.5 s then pause" && pass "space plays at the video's speed and pauses" || fail "play/pause"
keys PgDn
wait_for '0:1[01](\.[0-9])? / ' 5 "PgDn ten seconds on" && pass "PgDn jumps ten seconds" || fail "PgDn"
keys Home
wait_for ' 0:00(\.0)? / ' 5 && pass "Home goes to the start" || fail "Home"
keys Right Right Right
wait_for 'Frame 0:00\.1 +#3' 5 "three frames on" && pass "→ steps one frame" || fail "→"

# The timeline's middle column: where its axis runs from 0:00 to the end.
axis=$(screen | grep -nE '^│ +(▲)?0:00' | head -1 | cut -d: -f1)
if [[ -n $axis ]]; then
    width=$(screen | sed -n "${axis}p" | awk '{print length($0)}')
    click $((width * 3 / 4)) $((axis - 3))
    wait_for ' 0:(0[7-9]|1[0-1])(\.[0-9])? / ' 5 "a click three quarters along the timeline" \
        && pass "a click on the timeline jumps there" || fail "click on the timeline"
else fail "no timeline axis on screen"; fi

keys Tab
wait_for 'Timeline +face #1' 5 "Tab to face #1" && pass "Tab selects the other face" || fail "Tab"
keys e
wait_for 'talk\.csv' 5 "e writes the table" && [[ -s "$work/talk.csv" ]] && pass "e writes the table (talk.csv)" || fail "e"
keys x
wait_for 'saliency' 5 && pass "x shows the face's saliency" || fail "x"
keys q
wait_until "the exit status" 20 test -s "$work/exit"
grep -q "EXIT=0" "$work/exit" && pass "q quits with status 0" || fail "exit: $(cat "$work/exit" 2>/dev/null)"
wait_for '[$#] *$' 5 && pass "the shell's prompt is back" || fail "the terminal was not restored"

echo "e2e-video-view: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
