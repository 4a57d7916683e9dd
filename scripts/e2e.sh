#!/usr/bin/env bash
# End-to-end checks of the real binary, as a person would use it: headless training, resume after
# kill -9, evaluate, predict, synth, inspect, bad inputs; then the dashboard in tmux, and watch/runs
# attached to a headless trainer.
# Usage: scripts/e2e.sh path/to/ferdash
# Cannot hang: every command runs under a time limit (E2E_COMMAND_TIMEOUT, default 600 s), waits
# poll for their condition and say what they waited for, and background processes are recorded in
# pid files and killed on any exit.
set -uo pipefail
bin="$(realpath "${1:?usage: e2e.sh path/to/ferdash}")"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The suites this one runs (and the helper the tmux ones source). A missing one is a broken
# checkout: say so and stop before anything runs, instead of skipping that part unnoticed.
for script in .ci/e2e-dashboard.sh .ci/e2e-watch.sh .ci/e2e-see.sh .ci/e2e-video.sh .ci/e2e-video-view.sh \
              .ci/tmux-session.sh scripts/e2e-full-disk.sh; do
    [[ -f $root/$script ]] || { echo "e2e: $root/$script is missing: scripts/e2e.sh runs it" >&2; exit 2; }
done
work="$(mktemp -d)"
limit="${E2E_COMMAND_TIMEOUT:-600}"
mkdir -p "$work/pids"
cleanup() {
    local file
    for file in "$work"/pids/*.pid; do [[ -f $file ]] && kill -9 "$(cat "$file")" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
# ferdash ARGS...: the binary under the time limit; a run that hits it says so on stderr.
ferdash() {
    timeout -k 10 "$limit" "$bin" "$@"
    local status=$?
    ((status == 124 || status == 137)) && echo "e2e: 'ferdash $*' timed out after ${limit}s" >&2
    return $status
}
py() { timeout 60 python3 "$@"; }
# wait_until SECONDS WHAT CMD...: polls CMD every 0.1 s; after SECONDS says what it waited for and fails.
wait_until() {
    local seconds=$1 what=$2 deadline=$((SECONDS + $1))
    shift 2
    until "$@"; do
        if ((SECONDS >= deadline)); then echo "e2e: waited ${seconds}s for $what" >&2; return 1; fi
        sleep 0.1
    done
}
passed=0; failed=0

pass() { echo "PASS: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1"; failed=$((failed + 1)); [[ -n ${2:-} ]] && sed 's/^/    | /' "$2" | tail -20; }
# expect_error NAME PATTERN CMD...: CMD must exit non-zero and print PATTERN (regex) on stderr.
expect_error() {
    local name=$1 pattern=$2; shift 2
    if "$@" >out.txt 2>err.txt; then fail "$name (exit 0)" err.txt
    elif grep -qE "$pattern" err.txt && ! grep -qiE "fatal error|stack dump|backtrace" err.txt; then pass "$name"
    else fail "$name (stderr lacks /$pattern/)" err.txt; fi
}

# --- synth and inspect
if ferdash synth --out synth.csv --count 700 --seed 5 --png-dir png >log.txt 2>&1 \
    && [[ $(head -1 synth.csv | tr -d '\r') == "emotion,pixels,Usage" ]] && [[ $(wc -l <synth.csv) -eq 701 ]] \
    && [[ $(ls png | wc -l) -eq 700 ]]; then pass "synth writes a fer2013 CSV and PNGs"
else fail "synth" log.txt; fi
if ferdash inspect --data synth.csv --json >inspect.json 2>log.txt \
    && py -c "import json,sys; d=json.load(open('inspect.json'))['splits']; assert d['train']['count']==560 and d['validation']['count']==70 and d['test']['count']==70, d"; then
    pass "inspect --json counts the splits"
else fail "inspect --json" log.txt; fi
ferdash inspect --data synth.csv --show 3 >inspect.txt 2>&1 && grep -q "Sample 3 of train" inspect.txt \
    && pass "inspect --show draws a sample" || fail "inspect --show" inspect.txt

# --- headless training on the built-in data: the seed's log lines, a falling loss, checkpoints
if ferdash train --headless --arch seed --steps 300 --eval-every 100 --run-dir run1 >train.txt 2>&1 \
    && grep -q "^Train size: " train.txt && grep -q "^Validation size: " train.txt && grep -q "^Test size: " train.txt \
    && grep -qE "Validation Loss: [0-9.]+" train.txt && [[ -f run1/checkpoint-latest.ferdash && -f run1/checkpoint-best.ferdash ]] \
    && [[ $(grep -c '"step"' run1/metrics.jsonl) -ge 300 ]]; then pass "headless training writes log lines, checkpoints, metrics"
else fail "headless training" train.txt; fi
# A new run never writes over one that is already there; --recipe long is not the seed's.
sum_before=$(md5sum run1/checkpoint-best.ferdash run1/checkpoint-latest.ferdash)
expect_error "a new run into a run's directory is refused, naming it and --resume" "run1 already holds a run \\(checkpoint-latest.ferdash\\); continue it with --resume" \
    ferdash train --headless --arch seed --steps 5 --run-dir run1
[[ $(md5sum run1/checkpoint-best.ferdash run1/checkpoint-latest.ferdash) == "$sum_before" ]] \
    && pass "the refused run left the checkpoints as they were" || fail "the refused run changed run1's checkpoints" err.txt
expect_error "--recipe long with the seed network says whose recipe it is" "recipe long is a recipe of vgg9, vgg8 and vgg7" \
    ferdash train --headless --arch seed --recipe long --run-dir run-long-seed
# Distillation: run1 as the teacher (a run directory means its best checkpoint), stored absolute.
if ferdash train --headless --arch seed --steps 20 --eval-every 10 --teacher run1 --distill-weight 0.7 --run-dir run-distil >distil.txt 2>&1 \
    && grep -qE "^Teachers: 1 teacher answered for every training face in [0-9]+ s; their answer matches the label for [0-9.]+ % of them" distil.txt \
    && py -c "
import json
r = json.loads(open('run-distil/metrics.jsonl').readline())['recipe']
assert r['teachers'] == '$work/run1/checkpoint-best.ferdash' and r['distill_weight'] == '0.7' and r['distill_temperature'] == '1.0', r"; then
    pass "--teacher distils from a run's best checkpoint and records the teachers"
else fail "--teacher" distil.txt; fi
if ferdash evaluate --model run1 --model run-distil --split validation --json >ensemble.json 2>ensemble.txt \
    && py -c "
import json
d = json.load(open('ensemble.json'))
assert d['models'] == ['run1/checkpoint-best.ferdash', 'run-distil/checkpoint-best.ferdash'] and 0 <= d['accuracy'] <= 1, d"; then
    pass "evaluate scores an ensemble of the models it is given"
else fail "evaluate --model A --model B" ensemble.txt; fi
expect_error "--distill-weight without --teacher says what it needs" "need --teacher" \
    ferdash train --headless --arch seed --steps 5 --distill-weight 0.5 --run-dir run-distil2
expect_error "a missing teacher is named before any data is read" "nope.ferdash: no such checkpoint file or run directory" \
    ferdash train --headless --arch seed --steps 5 --teacher nope.ferdash --run-dir run-distil3
first=$(grep -m3 "Training Loss:" train.txt | awk '{s+=$3} END {print s/3}')
last=$(grep "Training Loss:" train.txt | tail -3 | awk '{s+=$3} END {print s/3}')
py -c "import sys; sys.exit(0 if $last < 0.8 * $first else 1)" 2>/dev/null \
    && pass "training loss falls ($first -> $last)" || fail "training loss falls ($first -> $last)" train.txt

# --- kill -9 mid-run leaves a checkpoint that evaluate loads and --resume continues
# In the background without `timeout` in between, so kill -9 hits ferdash itself; the trap reaps it.
"$bin" train --headless --arch seed --steps 2000 --eval-every 40 --run-dir run2 >train2.txt 2>&1 &
pid=$!
echo $pid >pids/train2.pid
past_step_80() { [[ -f run2/checkpoint-latest.ferdash ]] && grep -q "step 80," train2.txt; }
wait_until 300 "run2 to pass step 80 with a checkpoint" past_step_80 2>>train2.txt
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f pids/train2.pid
if ferdash evaluate --model run2 --split validation --json >eval.json 2>log.txt \
    && py -c "import json; d=json.load(open('eval.json')); assert d['split']=='validation' and 0<=d['accuracy']<=1 and len(d['confusion'])==7 and set(d['per_class'])=={'anger','disgust','fear','happy','sad','surprise','neutral'}"; then
    pass "evaluate loads the checkpoint left by kill -9"
else fail "evaluate after kill -9" log.txt; fi
if ferdash train --headless --resume --run-dir run2 --steps 160 --eval-every 40 >resume.txt 2>&1 \
    && grep -qE "^Resuming run2 from step [0-9]+" resume.txt && grep -q "Finished at step 160" resume.txt; then
    pass "--resume continues from the latest checkpoint"
else fail "--resume" resume.txt; fi

# --- a weight average: metrics log both accuracies, the latest checkpoint keeps the average
#     (format version 3) for --resume, the best one is the average as a model
if ferdash train --headless --arch seed --steps 40 --eval-every 20 --average-decay 0.9 --run-dir run7 >avg.txt 2>&1 \
    && ferdash train --headless --resume --run-dir run7 --steps 60 --eval-every 20 >>avg.txt 2>&1 \
    && ferdash evaluate --model run7 --split validation --json >avg.json 2>>avg.txt \
    && py -c "
import json, struct
lines = [json.loads(l) for l in open('run7/metrics.jsonl')]
scored = [l for l in lines if 'val_accuracy' in l]
assert [l['step'] for l in scored] == [20, 40, 60] and all('raw_val_accuracy' in l for l in scored), scored
assert struct.unpack('<I', open('run7/checkpoint-latest.ferdash', 'rb').read()[8:12])[0] == 3
assert struct.unpack('<I', open('run7/checkpoint-best.ferdash', 'rb').read()[8:12])[0] == 2
best = max(l['val_accuracy'] for l in scored)
assert abs(json.load(open('avg.json'))['accuracy'] - best) < 1e-6"; then
    pass "--average-decay: both accuracies logged, the average resumed and saved as the best model"
else fail "--average-decay" avg.txt; fi

# --- a time budget shortens the run and its schedule instead of overrunning (3 s here);
#     without --arch this is vgg9, the default network, with its recipe
if ferdash train --headless --steps 1000000 --time-budget 0.05 --eval-every 100000 --run-dir run3 >budget.txt 2>&1 \
    && grep -q "^Recipe: vgg9, 1000000 steps" budget.txt && grep -qE "^(Replanned: time budget|Plan: )" budget.txt && grep -qE "^Finished at step [0-9]+" budget.txt \
    && [[ -f run3/checkpoint-latest.ferdash ]]; then
    pass "--time-budget ends the run in time with a checkpoint"
else fail "--time-budget" budget.txt; fi

# --- the budget's plan: the length that fits, from the pace of the first steps (the seed's
#     steps are short, so 20 of them fit well inside 15 s), said in the log and the metrics
started=$SECONDS
if ferdash train --headless --arch seed --steps 1000000 --time-budget 0.25 --eval-every 40 --run-dir run3p >plan.txt 2>&1 \
    && grep -qE "^Plan: [0-9.]+ of [0-9.]+ epochs fit the time budget, so the schedule is made for [0-9.]+ \([0-9]+ img/s over the first" plan.txt \
    && grep -qE "^Finished at step [0-9]+" plan.txt && grep -q '"event":"planned"' run3p/metrics.jsonl \
    && (( SECONDS - started <= 25 )); then
    pass "--time-budget plans the run's length from its first steps and ends in time ($(grep -o 'Finished at step [0-9]*' plan.txt))"
else fail "--time-budget plan" plan.txt; fi

# --- the recipe's own budget comes with the recipe's own length only
# Stopped with SIGTERM once it has printed its plan (polled: starting can take long on a busy machine).
"$bin" train --headless --run-dir run4 >recipe.txt 2>&1 &
pid=$!
echo $pid >pids/recipe.pid
printed_plan() { grep -q "^Recipe: " recipe.txt && grep -q "^Time budget" recipe.txt; }
wait_until 300 "run4 to print its recipe and time budget" printed_plan 2>>recipe.txt
kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f pids/recipe.pid
ferdash train --headless --steps 2 --eval-every 100 --run-dir run5 >explicit.txt 2>&1
if grep -q "^Time budget: 5[0-8]\.[0-9] minutes left" recipe.txt && grep -q "^Recipe: vgg9, 2813 steps" recipe.txt \
    && grep -q "^Finished at step 2 " explicit.txt && ! grep -q "^Time budget" explicit.txt; then
    pass "vgg9's 58-minute budget applies to its 60 epochs, not to an explicit --steps"
else fail "recipe time budget" recipe.txt; sed 's/^/    | /' explicit.txt | tail -5; fi

# --- predict on a generated image
png=$(ls png/*happy*.png | head -1)
if ferdash predict "$png" --model run1 --no-detect --json >pred.json 2>log.txt \
    && py -c "import json; d=json.load(open('pred.json'))[0]; p=d['probabilities']; assert abs(sum(p.values())-1)<1e-3 and d['label'] in p"; then
    pass "predict --json gives 7 probabilities"
else fail "predict --json" log.txt; fi
ferdash predict "$png" --model run1 --no-detect --samples 200 >pred.txt 2>&1 && grep -q "dropout sampling (200 runs)" pred.txt \
    && pass "predict --samples shows the dropout histogram" || fail "predict --samples" pred.txt

# --- a compact inference checkpoint: a third of the size, the same scores, not resumable
#     (the run's latest checkpoint is its training state; its best one is already compact)
if ferdash export --model run1/checkpoint-latest.ferdash --format checkpoint --output compact.ferdash >export.txt 2>&1 \
    && ferdash evaluate --model compact.ferdash --split validation --json >compact.json 2>>export.txt \
    && ferdash evaluate --model run1/checkpoint-latest.ferdash --split validation --json >full.json 2>>export.txt \
    && py -c "
import json, os
a, b = json.load(open('compact.json')), json.load(open('full.json'))
assert a['accuracy'] == b['accuracy'] and a['confusion'] == b['confusion'], (a['accuracy'], b['accuracy'])
ratio = os.path.getsize('compact.ferdash') / os.path.getsize('run1/checkpoint-latest.ferdash')
assert 0.3 < ratio < 0.36, ratio
best = os.path.getsize('run1/checkpoint-best.ferdash') / os.path.getsize('run1/checkpoint-latest.ferdash')
assert 0.3 < best < 0.36, best"; then
    pass "export --format checkpoint scores like the full checkpoint at a third of the size, the size of the best one"
else fail "export --format checkpoint" export.txt; fi
mkdir -p run6 && cp compact.ferdash run6/checkpoint-latest.ferdash
expect_error "--resume from an inference checkpoint says why not" "run6/checkpoint-latest.ferdash: an inference checkpoint.*cannot be resumed" \
    ferdash train --headless --arch seed --resume --run-dir run6 --steps 10

# --- the shipped model: used without --model when there is no ./runs, said in one line
shared="$root/../shared"
mkdir -p fresh && pushd fresh >/dev/null
face="$shared/faces/obama.jpg"; [[ -f $face ]] || face="$work/$png"
if ferdash predict "$face" --json >shipped.json 2>shipped.txt && grep -q "using the shipped model .*assets/models/vgg9-fer2013.ferdash" shipped.txt \
    && py -c "import json; d=json.load(open('shipped.json'))[0]; p=d['probabilities']; assert abs(sum(p.values())-1)<1e-3 and d['label'] in p"; then
    pass "predict without --model or runs uses the shipped model and says so ($(basename "$face"))"
else fail "predict with the shipped model" shipped.txt; fi
fer="$shared/data/fer2013/fer2013-train-publictest.csv.gz"
if [[ -f $fer ]]; then
    if ferdash evaluate --data "$fer" --split validation --json >shipped-eval.json 2>shipped.txt \
        && py -c "import json; d=json.load(open('shipped-eval.json')); assert d['accuracy'] > 0.6, d['accuracy']"; then
        pass "the shipped model scores $(py -c "import json; print(round(100*json.load(open('shipped-eval.json'))['accuracy'],2))")% on PublicTest"
    else fail "the shipped model on PublicTest" shipped.txt; fi
else echo "SKIP: the shipped model on PublicTest ($fer is not here)"; fi
popd >/dev/null

# --- bad input: clear errors naming the file, never a crash
printf 'emotion,pixels,Usage\n3,1 2 3,Training\n' >short.csv
expect_error "CSV with a short row names file and line" "short.csv:2:.*2304" ferdash inspect --data short.csv
printf 'emotion,pixels,Usage\n9,%s,Training\n' "$(py -c "print(' '.join(['0']*2304))")" >label.csv
expect_error "CSV with a bad label names file and line" "label.csv:2:.*(emotion|label).*0.6" ferdash inspect --data label.csv
: >empty.csv
expect_error "empty CSV" "empty.csv" ferdash inspect --data empty.csv
head -c 3000 "$root/Package.swift" | gzip | head -c 200 >trunc.csv.gz
expect_error "truncated gzip" "trunc.csv.gz" ferdash inspect --data trunc.csv.gz
head -c 100 "$png" >broken.png
expect_error "truncated PNG" "broken.png" ferdash predict broken.png --model run1 --no-detect
cp run1/checkpoint-latest.ferdash damaged.ferdash
printf '\x55' | dd of=damaged.ferdash bs=1 seek=5000 conv=notrunc 2>/dev/null
expect_error "damaged checkpoint" "damaged.ferdash" ferdash evaluate --model damaged.ferdash --split validation
expect_error "missing model" "nowhere" ferdash predict "$png" --model nowhere
expect_error "missing data" "nothing-here.csv" ferdash train --headless --data nothing-here.csv --steps 1
# export: each bad input named, and no output file (not even half of one) left behind
ferdash export --model run1 --output model.onnx >log.txt 2>&1 && [[ -s model.onnx ]] \
    && pass "export writes an ONNX file" || fail "export" log.txt
expect_error "export of a damaged checkpoint" "damaged.ferdash" ferdash export --model damaged.ferdash --output bad1.onnx
expect_error "export of a missing model" "nowhere" ferdash export --model nowhere --output bad2.onnx
expect_error "export into a missing folder" "no-such-folder/bad3.onnx" ferdash export --model run1 --output no-such-folder/bad3.onnx
mkdir -p bad4.onnx
expect_error "export onto a folder" "bad4.onnx" ferdash export --model run1 --output bad4.onnx
leftovers=$(ls -d bad1.onnx* bad2.onnx* bad4.onnx.* 2>/dev/null)
[[ -z $leftovers && -d bad4.onnx ]] && pass "failed exports leave no file behind" || fail "failed exports left: $leftovers"

# --- the dashboard, driven in tmux
if timeout -k 10 1800 bash "$root/.ci/e2e-dashboard.sh" "$bin" "$work/dash-run" >dash.txt 2>&1; then pass "dashboard end to end"
else fail "dashboard end to end" dash.txt; fi
grep -E "^(PASS|FAIL)" dash.txt | sed 's/^/    /'

# --- watch and runs against a headless trainer, in tmux
if timeout -k 10 1800 bash "$root/.ci/e2e-watch.sh" "$bin" >watch.txt 2>&1; then pass "watch and runs end to end"
else fail "watch and runs end to end" watch.txt; fi
grep -E "^(PASS|FAIL)" watch.txt | sed 's/^/    /'

# --- saliency, confusion drill-down and predict --explain, in tmux
if timeout -k 10 1800 bash "$root/.ci/e2e-see.sh" "$bin" >see.txt 2>&1; then pass "saliency and drill-down end to end"
else fail "saliency and drill-down end to end" see.txt; fi
grep -E "^(PASS|FAIL)" see.txt | sed 's/^/    /'

# --- video: scripted videos of synthetic faces, a stream on the loopback, damaged files
if timeout -k 10 1800 bash "$root/.ci/e2e-video.sh" "$bin" >video.txt 2>&1; then pass "video end to end"
else fail "video end to end" video.txt; fi
grep -E "^(PASS|FAIL)" video.txt | sed 's/^/    /'
if timeout -k 10 900 bash "$root/.ci/e2e-video-view.sh" "$bin" >video-view.txt 2>&1; then pass "the video view end to end"
else fail "the video view end to end" video-view.txt; fi
grep -E "^(PASS|FAIL)" video-view.txt | sed 's/^/    /'

# --- a full and a read-only disk (a tmpfs: needs root, says SKIP otherwise)
if timeout -k 10 1200 bash "$root/scripts/e2e-full-disk.sh" "$bin" >disk.txt 2>&1; then
    grep -q "^SKIP" disk.txt && echo "SKIP: full disk (not root)" || pass "full and read-only disks end to end"
else fail "full and read-only disks end to end" disk.txt; fi
grep -E "^(PASS|FAIL)" disk.txt | sed 's/^/    /'

echo "e2e: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
