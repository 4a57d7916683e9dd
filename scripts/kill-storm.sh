#!/usr/bin/env bash
# Kill storm: `kill -9`s a headless training run at random moments, many times in a row — every
# other time exactly while a checkpoint is being written (its *.tmp-<pid> file exists) — and after
# each kill checks that:
#   - the latest checkpoint loads (`ferdash evaluate`) and never goes back in steps,
#   - every line of metrics.jsonl but a torn last one is valid JSON,
#   - the next `--resume` continues from that checkpoint's step,
#   - the killed writer's stale temporary file is gone once the next run has started.
# Usage: scripts/kill-storm.sh path/to/ferdash [ROUNDS=30] [WORK_DIR]
set -uo pipefail
bin="$(realpath "${1:?usage: kill-storm.sh path/to/ferdash [ROUNDS] [WORK_DIR]}")"
rounds="${2:-30}"
work="${3:-$(mktemp -d)}"
mkdir -p "$work"
cd "$work"
run="$work/run"
rm -rf "$run"
pid=""
trap '[[ -n $pid ]] && kill -9 "$pid" 2>/dev/null; wait 2>/dev/null' EXIT

failures=0
fail() { echo "FAIL (round $round): $1"; failures=$((failures + 1)); [[ -n ${2:-} && -f $2 ]] && tail -5 "$2" | sed 's/^/    | /'; }
# poll SECONDS COMMAND...: true as soon as COMMAND succeeds, false after SECONDS.
poll() {
    local deadline=$((SECONDS + $1)); shift
    until "$@"; do ((SECONDS < deadline)) || return 1; sleep 0.02; done
}
# `evaluate` loads the checkpoint as any command does; a few faces keep it quick.
"$bin" synth --out "$work/few.csv" --count 30 --seed 1 >/dev/null 2>&1 || { echo "FAIL: ferdash synth"; exit 1; }
checkpoint_step() {
    timeout 300 "$bin" evaluate --data "$work/few.csv" --model "$run/checkpoint-latest.ferdash" --split validation --json 2>"$work/eval.err" \
        | python3 -c "import json,sys; d=json.load(sys.stdin); assert 0 <= d['accuracy'] <= 1" 2>/dev/null || return 1
    python3 - "$run/checkpoint-latest.ferdash" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
p = 12; n = struct.unpack_from("<I", b, p)[0]; p += 4 + n
count = struct.unpack_from("<I", b, p)[0]; p += 4
meta = {}
for _ in range(count):
    k = struct.unpack_from("<I", b, p)[0]; key = b[p + 4:p + 4 + k].decode(); p += 4 + k
    v = struct.unpack_from("<I", b, p)[0]; meta[key] = b[p + 4:p + 4 + v].decode(); p += 4 + v
print(meta["step"])
EOF
}
has_temporary() { compgen -G "$run/*.tmp-$pid" >/dev/null; }

last_step=-1; killed_in_write=0; resumed=0
for round in $(seq 1 "$rounds"); do
    resume=()
    [[ -f $run/checkpoint-latest.ferdash ]] && resume=(--resume)
    # A fresh log per round: polling a reused one could read the previous round's lines.
    log="$work/train-$round.txt"
    "$bin" train --headless --arch seed --steps 100000 --eval-every 3 --run-dir "$run" "${resume[@]}" >"$log" 2>&1 &
    pid=$!
    if ! poll 300 grep -qs "^Run directory:" "$log"; then fail "the run did not start within 300 s (waited for its \"Run directory:\" line)" "$log"; kill -9 "$pid"; wait "$pid" 2>/dev/null; continue; fi
    if ((${#resume[@]})); then
        if grep -q "^Resuming $run from step $last_step " "$log"; then resumed=$((resumed + 1))
        else fail "--resume did not continue from step $last_step" "$log"; fi
        if [[ -n ${stale:-} ]] && compgen -G "$stale" >/dev/null; then fail "stale temporary $stale survived the restart"; fi
    fi
    if ((round % 2 == 0)); then
        # During a checkpoint write: as soon as its temporary file appears.
        poll 300 has_temporary && in_write=1 || in_write=0
    else
        sleep "$(python3 -c "import random; print(round(random.uniform(0.2, 4.0), 2))")"
        has_temporary && in_write=1 || in_write=0
    fi
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    stale="$run/*.tmp-$pid"
    ((in_write)) && killed_in_write=$((killed_in_write + 1))
    pid=""
    [[ -f $run/checkpoint-latest.ferdash ]] || { echo "round $round: killed before the first checkpoint"; continue; }
    if ! step=$(checkpoint_step); then fail "the latest checkpoint does not load" "$work/eval.err"; break; fi
    ((step >= last_step)) || fail "the checkpoint went back from step $last_step to $step"
    last_step=$step
    python3 - "$run/metrics.jsonl" <<'EOF' || fail "metrics.jsonl has a damaged line before its end"
import json, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
for line in lines[:-1]:
    json.loads(line)
EOF
    echo "round $round: killed $([[ $in_write == 1 ]] && echo "during a checkpoint write" || echo "at a random moment"); checkpoint at step $step loads"
done

# The storm is over: one last resume runs to the end cleanly.
round=final
if [[ -f $run/checkpoint-latest.ferdash ]]; then
    target=$((last_step + 6))
    if timeout 300 "$bin" train --headless --resume --run-dir "$run" --steps "$target" --eval-every 3 >"$work/final.txt" 2>&1 \
        && grep -q "^Resuming $run from step $last_step " "$work/final.txt" && grep -q "^Finished at step $target " "$work/final.txt"; then
        echo "final: --resume from step $last_step finished at step $target"
    else fail "the final --resume did not finish" "$work/final.txt"; fi
    leftovers=$(ls "$run" | grep -c "\.tmp-" || true)
    ((leftovers == 0)) || fail "$leftovers temporary files left in $run"
fi
echo "kill-storm: $rounds kills ($killed_in_write during a checkpoint write), $resumed resumes checked, last checkpoint step $last_step, $failures failures"
((failures == 0))
