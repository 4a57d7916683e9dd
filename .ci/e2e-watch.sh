#!/usr/bin/env bash
# `ferdash watch` and `ferdash runs` against a real headless trainer: attach in tmux, see the
# steps advance, quit (the trainer must not notice), attach again, see `finished`; then bad input
# (not a run, a corrupt metrics line, a dataset that is gone) and a comparison of two runs.
# Usage: .ci/e2e-watch.sh path/to/ferdash
#   E2E_CAPTURE=FILE  also saves the comparison screen (120×40) to FILE.
#   E2E_COMMAND_TIMEOUT  seconds any one ferdash run may take before it is stopped (default 900).
# Prints PASS/FAIL lines; exits non-zero when anything failed. Every wait polls with a timeout and
# says what it waited for; every command that could hang runs under `timeout`.
set -uo pipefail
bin="$(realpath "${1:?usage: e2e-watch.sh path/to/ferdash}")"
command -v python3 >/dev/null || { echo "FAIL: python3 is not installed"; exit 1; }
started_at=$(date +%s)
limit="${E2E_COMMAND_TIMEOUT:-900}"

sock="ferdash-watch-e2e-$$"          # a private tmux server: never touches the person's sessions
sess="watch"
source "$(dirname "${BASH_SOURCE[0]}")/tmux-session.sh" || { echo "FAIL: ${BASH_SOURCE[0]} needs .ci/tmux-session.sh" >&2; exit 2; }
trainer=""
# The shared clean-up, and the background trainer if it still runs.
cleanup() {
    tm kill-server 2>/dev/null
    [[ -n $trainer ]] && kill "$trainer" 2>/dev/null
    rm -rf "$work"
}
cd "$work"

checkpoint_step() { screen | grep -oE "checkpoint of step [0-9]+" | head -1 | grep -oE '[0-9]+$'; }
newer_checkpoint() { local c; c=$(checkpoint_step); [[ -n $c && $c -gt $1 ]]; }
step_now() { screen | grep -oE 'step [0-9]+/[0-9]+' | head -1 | grep -oE '[0-9]+' | head -1; }
start_shell() {
    tm new-session -d -s "$sess" -x 120 -y 40 -e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 -e PS1='e2e$ ' "bash --norc --noprofile"
    tm set-option -t "$sess" -g default-terminal "tmux-256color" >/dev/null 2>&1
    sleep 0.3
}
# Runs a command in the tmux shell; its status lands in $work/$2.
in_tmux() { keys "clear; timeout --foreground $limit $1; echo EXIT=\$? > '$work/$2'" Enter; }
exit_of() { cat "$work/$1" 2>/dev/null; }
# A run directory's files and their checksums, to prove watch wrote nothing.
fingerprint() { (cd "$1" && find . -type f | sort | timeout 60 xargs md5sum); }

# --- an earlier run to compare with (short, another learning rate)
if timeout "$limit" "$bin" train --headless --arch seed --steps 120 --eval-every 40 --batch-size 32 --learning-rate 3e-4 --threads 1 \
    --run-dir runs/earlier >earlier.txt 2>&1; then pass "an earlier run to compare with"
else fail "earlier run"; sed 's/^/    | /' earlier.txt | tail -5; fi

# --- the trainer, headless in the background, as over ssh/nohup
total=1200
timeout "$limit" "$bin" train --headless --arch seed --steps $total --eval-every 150 --batch-size 32 --threads 1 \
    --run-dir runs/live >live.txt 2>&1 &
trainer=$!
wait_until "the trainer's started line in runs/live/metrics.jsonl" 120 grep -q '"event":"started"' runs/live/metrics.jsonl \
    && pass "the trainer has started its run" || fail "the trainer never wrote its started line"

start_shell
in_tmux "'$bin' watch runs/live" watch1
if wait_for 'running' 30 "watch to show running" && wait_for "step [0-9]+/$total" 10 "a step count"; then
    s1=$(step_now)
    wait_until "the step to advance past $s1" 20 bash -c "[[ \$(timeout 20 tmux -L $sock capture-pane -t $sess -p | grep -oE 'step [0-9]+/' | head -1 | grep -oE '[0-9]+') -gt $s1 ]]"
    s2=$(step_now)
    [[ -n $s1 && -n $s2 && $s2 -gt $s1 ]] && pass "watch follows the run live (step $s1 -> $s2)" || fail "step does not advance ($s1 -> $s2)"
else
    fail "watch does not show the running run"
fi
for panel in 'ferdash watch' Loss Confusion Sample; do
    screen | grep -q "$panel" && pass "panel '$panel' visible" || fail "panel '$panel' missing"
done
wait_for 'pred [a-z]+ [0-9]+%' 60 "a prediction from the run's checkpoint" && pass "the Sample panel predicts with the run's checkpoint" \
    || fail "no prediction from the run's checkpoint"
ck1=$(checkpoint_step)
if [[ -n $ck1 ]] && wait_until "a checkpoint newer than step $ck1 to be loaded" 90 newer_checkpoint "$ck1"; then
    pass "a newer checkpoint is picked up (step $ck1 -> $(checkpoint_step))"
else fail "no newer checkpoint after step ${ck1:-?}"; fi
keys Space
wait_for 'pause needs the training process \(pid' 3 "the pause refusal" && pass "space says pausing needs the trainer" || fail "space in watch"
keys s
wait_for 'saving a checkpoint needs the training process' 3 "the save refusal" && pass "s says saving needs the trainer" || fail "s in watch"
keys q
wait_until "watch to exit after q" 5 test -f "$work/watch1" && [[ $(exit_of watch1) == EXIT=0 ]] \
    && pass "q leaves watch at once (status 0, no question)" || fail "q: $(exit_of watch1)"
before=$(grep -c '"loss"' runs/live/metrics.jsonl)
if kill -0 "$trainer" 2>/dev/null && wait_until "the trainer to write more steps after watch quit" 20 \
    bash -c "[[ \$(grep -c '\"loss\"' runs/live/metrics.jsonl) -gt $before ]]"; then
    pass "the trainer keeps training after watch quits"
else fail "the trainer stopped or stalled when watch quit"; fi

# Attach again and stay until the run ends.
in_tmux "'$bin' watch" watch2   # no RUN: the newest run under ./runs
if wait_for "finished +step $total/$total" 600 "the run to finish (seen from watch)"; then pass "watch shows the run finished at step $total"
else fail "watch never showed finished"; fi
wait_until "the trainer to exit" 60 bash -c "! kill -0 $trainer"
wait "$trainer"; status=$?; trainer=""   # bounded: the trainer runs under timeout
[[ $status == 0 ]] && grep -q "^Finished at step $total " live.txt && pass "the trainer was unaffected (exit 0, finished at $total)" \
    || { fail "trainer exit $status"; tail -5 live.txt; }
steps=$(grep -c '"loss"' runs/live/metrics.jsonl)
[[ $steps -ge $total ]] && grep -q '"event":"finished"' runs/live/metrics.jsonl && pass "its metrics are complete ($steps step lines, finished)" \
    || fail "metrics incomplete: $steps step lines"
wait_for "Confusion +step $total" 5 "the final evaluation on screen" && pass "the final evaluation is shown" || fail "final evaluation missing"
fp1=$(fingerprint runs/live)
keys Right Right v
sleep 1
keys q
wait_until "watch to exit" 5 test -f "$work/watch2"
[[ $(exit_of watch2) == EXIT=0 ]] && pass "second watch exits with 0" || fail "second watch: $(exit_of watch2)"
[[ $(fingerprint runs/live) == "$fp1" ]] && pass "watch wrote nothing into the run directory" || fail "the run directory changed while watched"

# --- runs --json agrees with the metrics
if timeout 60 "$bin" runs runs --json >runs.json 2>runs.err && timeout 60 python3 - runs.json runs/live/metrics.jsonl <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))
live = next(r for r in runs if r["path"].endswith("live"))
lines = [json.loads(l) for l in open(sys.argv[2])]
steps = [l for l in lines if "loss" in l]
evals = [l for l in lines if "val_accuracy" in l]
start = next(l for l in lines if l.get("event") == "started")
best = max(evals, key=lambda e: e["val_accuracy"])
first_best = next(e for e in evals if e["val_accuracy"] == best["val_accuracy"])
assert [r["path"] for r in runs][0].endswith("live"), "newest first"
assert live["step"] == steps[-1]["step"], (live["step"], steps[-1]["step"])
assert live["total_steps"] == start["total_steps"]
assert abs(live["best_accuracy"] - best["val_accuracy"]) < 1e-12
assert live["best_step"] == first_best["step"]
assert abs(live["last_val_loss"] - evals[-1]["val_loss"]) < 1e-9
assert live["architecture"] == start["architecture"] == "seed"
assert live["dataset"] == start["dataset_path"] == "built-in"
assert live["state"] == "finished"
assert live["evaluations"] == len(evals)
assert abs(live["train_seconds"] - steps[-1]["train_seconds"]) < 1e-6
PY
then pass "runs --json agrees with metrics.jsonl"; else fail "runs --json"; cat runs.json runs.err | head -20; fi
timeout 60 "$bin" runs runs >runs.txt 2>&1 && grep -qE "^live +seed +built-in +$total/$total .* finished" runs.txt \
    && pass "runs lists the runs as text" || { fail "runs text"; cat runs.txt; }

# --- bad input
mkdir -p notarun
in_tmux "'$bin' watch notarun" bad1
wait_until "watch on a non-run to exit" 10 test -f "$work/bad1"
[[ $(exit_of bad1) != EXIT=0 ]] && screen | grep -q "notarun: not a run: it holds no metrics.jsonl" \
    && pass "watch on a folder that is not a run: clear message, non-zero exit" || fail "watch notarun: $(exit_of bad1)"
in_tmux "'$bin' watch runs/gone" bad2
wait_until "watch on a missing path to exit" 10 test -f "$work/bad2"
[[ $(exit_of bad2) != EXIT=0 ]] && screen | grep -q "runs/gone: no such run directory" \
    && pass "watch on a missing path: clear message, non-zero exit" || fail "watch runs/gone: $(exit_of bad2)"
keys "stty -a | grep -c ' icanon' > '$work/stty'" Enter
wait_until "stty output" 5 test -s "$work/stty"
[[ $(cat "$work/stty") == 1 ]] && pass "the terminal is intact after the refusals" || fail "terminal modes after refusals"

# A corrupt line in the middle: the rest is shown and the line is named.
mkdir -p bad/corrupt
cp runs/live/checkpoint-*.ferdash bad/corrupt/
awk 'NR == 50 { print "{\"step\": 49, \"loss\": oops" } { print }' runs/live/metrics.jsonl >bad/corrupt/metrics.jsonl
in_tmux "'$bin' watch bad/corrupt" corrupt
if wait_for 'skipped metrics.jsonl line 50: not valid JSON' 20 "the corrupt line to be named" \
    && wait_for "finished +step $total/$total" 5 "the rest of the run"; then pass "a corrupt metrics line is named, the rest shown"
else fail "corrupt metrics line"; fi
keys q
wait_until "watch to exit" 5 test -f "$work/corrupt"

# A run whose dataset is gone: curves, no samples, a message saying why.
mkdir -p bad/moved
printf 'emotion,pixels,Usage\n' >gone.csv
sed "s|\"dataset_path\":\"built-in\"|\"dataset_path\":\"$work/gone.csv\"|" runs/earlier/metrics.jsonl >bad/moved/metrics.jsonl
rm gone.csv
in_tmux "'$bin' watch bad/moved" moved
if wait_for 'gone.csv is gone' 20 "the dataset-gone note" && wait_for 'val acc [0-9.]+%' 5 "the curves"; then
    pass "a run whose dataset is gone still shows its curves and says why there are no samples"
else fail "dataset gone"; fi
keys q
wait_until "watch to exit" 5 test -f "$work/moved"
[[ $(exit_of moved) == EXIT=0 ]] && pass "and quits cleanly" || fail "dataset-gone watch exit: $(exit_of moved)"

# --- compare: the live run with the earlier one overlaid
in_tmux "'$bin' watch runs/live --compare runs/earlier" compare
if wait_for 'this run [0-9.]+%  ━ earlier [0-9.]+%' 20 "the compare legend" && wait_for 'validation accuracy' 3 "the accuracy chart"; then
    pass "--compare overlays the earlier run with a legend"
    sleep 0.5
    [[ -n ${E2E_CAPTURE:-} ]] && screen >"$E2E_CAPTURE"
else fail "--compare"; fi
keys q
wait_until "watch to exit" 5 test -f "$work/compare"
in_tmux "'$bin' watch runs/live --compare notarun" badcompare
wait_until "watch with a bad --compare to exit" 10 test -f "$work/badcompare"
[[ $(exit_of badcompare) != EXIT=0 ]] && screen | grep -q -- "--compare notarun: not a run" \
    && pass "a bad --compare is refused with its name" || fail "bad --compare: $(exit_of badcompare)"

echo "e2e-watch: $passed passed, $failed failed in $(( $(date +%s) - started_at )) s"
[[ $failed -eq 0 ]]
