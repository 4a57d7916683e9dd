#!/usr/bin/env bash
# Does the open dashboard slow training? Trains the same steps headless and with the dashboard
# (in tmux, 120×40), alternating, and compares the training seconds each run logged in metrics.jsonl.
# Wall time is noisy on a busy machine, so it also reports the share of the process's CPU time that
# the UI thread (the main thread) used: what the dashboard can take away from training at most.
# Usage: scripts/bench-dashboard.sh path/to/ferdash [steps] [rounds]
set -euo pipefail
bin="$(realpath "${1:?usage: bench-dashboard.sh path/to/ferdash [steps] [rounds]}")"
steps=${2:-400}; rounds=${3:-3}
work="$(mktemp -d)"; trap 'tmux -L ferdash-bench kill-server 2>/dev/null; rm -rf "$work"' EXIT
args=(--steps "$steps" --eval-every 100 --seed 1)

train_seconds() { # last train_seconds logged in a run's metrics
    python3 -c "import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if 'train_seconds' in l][-1]['train_seconds'])" "$1/metrics.jsonl"
}

for round in $(seq 1 "$rounds"); do
    "$bin" train --headless "${args[@]}" --run-dir "$work/h$round" >/dev/null
    tmux -L ferdash-bench new -d -x 120 -y 40 "$bin train ${args[*]} --run-dir $work/d$round"
    sleep 1
    pid=$(pgrep -x ferdash -n)
    cpu() { awk '{print $14 + $15}' "$1"; } # utime + stime, in clock ticks
    ui0=$(cpu /proc/$pid/task/$pid/stat); all0=$(cpu /proc/$pid/stat)
    until grep -q '"finished"' "$work/d$round/metrics.jsonl" 2>/dev/null; do
        ui=$(cpu /proc/$pid/task/$pid/stat); all=$(cpu /proc/$pid/stat)
        sleep 0.5
    done
    tmux -L ferdash-bench send-keys q; sleep 0.5; tmux -L ferdash-bench kill-server 2>/dev/null || true
    h=$(train_seconds "$work/h$round"); d=$(train_seconds "$work/d$round")
    echo "round $round: headless ${h}s, dashboard ${d}s, dashboard/headless $(python3 -c "print(f'{$d/$h:.3f}')");" \
         "UI thread $((ui - ui0)) of $((all - all0)) CPU ticks ($(python3 -c "print(f'{100*($ui-$ui0)/max(1,$all-$all0):.2f}')")%)"
done
