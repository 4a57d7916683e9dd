#!/usr/bin/env bash
# Long-run soak: trains headless (default 20,000 steps of the seed network on the built-in faces)
# and samples the process every few seconds from /proc — resident memory, open file descriptors,
# threads — to show that none of them grows once the run has warmed up.
#
# Usage: scripts/soak.sh path/to/ferdash OUT_DIR [STEPS] [INTERVAL_SECONDS]
# Writes OUT_DIR/samples.tsv (elapsed_s step rss_kb hwm_kb fds threads), OUT_DIR/train.txt and
# OUT_DIR/summary.txt; exits non-zero when, after warm-up (the first 10% of the samples), RSS grew
# more than 10% or 16 MB, or the fd or thread count grew at all.
# `--dashboard MINUTES` instead runs the dashboard in a detached tmux session for that long;
# `--summarize OUT_DIR` recomputes the summary of samples taken earlier.
set -uo pipefail

dashboard_minutes=""
summarize_only=""
if [[ ${1:-} == --summarize ]]; then summarize_only=1; set -- /bin/true "${2:?--summarize OUT_DIR}"; fi
if [[ ${1:-} == --dashboard ]]; then dashboard_minutes=${2:?--dashboard MINUTES}; shift 2; fi
bin="$(realpath "${1:?usage: soak.sh [--dashboard MINUTES] path/to/ferdash OUT_DIR [STEPS] [INTERVAL]}")"
out="${2:?OUT_DIR}"
steps="${3:-20000}"
interval="${4:-5}"
mkdir -p "$out"
out="$(realpath "$out")"
samples="$out/samples.tsv"
status=0
if [[ -z $summarize_only ]]; then
rm -rf "$out/run"
printf 'elapsed_s\tstep\trss_kb\thwm_kb\tfds\tthreads\n' >"$samples"

session=""
cleanup() {
    [[ -n $session ]] && tmux kill-session -t "$session" 2>/dev/null
    [[ -n ${pid:-} ]] && kill "$pid" 2>/dev/null
    return 0
}
trap cleanup EXIT

if [[ -n $dashboard_minutes ]]; then
    session="ferdash-soak-$$"
    tmux new-session -d -s "$session" -x 120 -y 40 \
        "TERM=xterm-256color '$bin' train --arch seed --steps $steps --run-dir '$out/run' 2>'$out/train.txt'"
    # The pane's process is the ferdash binary (tmux execs the command through a shell).
    for _ in $(seq 1 100); do
        pid=$(pgrep -P "$(tmux display -p -t "$session" '#{pane_pid}' 2>/dev/null)" -x ferdash 2>/dev/null | head -1)
        [[ -z $pid ]] && pid=$(tmux display -p -t "$session" '#{pane_pid}' 2>/dev/null)
        [[ -n $pid && $(cat /proc/"$pid"/comm 2>/dev/null) == ferdash ]] && break
        sleep 0.1
    done
    deadline=$((SECONDS + dashboard_minutes * 60))
else
    "$bin" train --headless --arch seed --steps "$steps" --run-dir "$out/run" >"$out/train.txt" 2>&1 &
    pid=$!
    deadline=""
fi
echo "soak: pid $pid, sampling every ${interval}s into $samples"

start=$SECONDS
while [[ -d /proc/$pid ]]; do
    rss=$(awk '/^VmRSS:/ {print $2}' /proc/"$pid"/status 2>/dev/null)
    hwm=$(awk '/^VmHWM:/ {print $2}' /proc/"$pid"/status 2>/dev/null)
    threads=$(awk '/^Threads:/ {print $2}' /proc/"$pid"/status 2>/dev/null)
    fds=$(ls /proc/"$pid"/fd 2>/dev/null | wc -l)
    step=$(tail -c 4096 "$out/run/metrics.jsonl" 2>/dev/null | grep -o '"step":[0-9]*' | tail -1 | cut -d: -f2)
    [[ -n $rss ]] && printf '%s\t%s\t%s\t%s\t%s\t%s\n' $((SECONDS - start)) "${step:-0}" "$rss" "$hwm" "$fds" "$threads" >>"$samples"
    if [[ -n $deadline ]] && ((SECONDS >= deadline)); then
        tmux send-keys -t "$session" q; sleep 1; tmux send-keys -t "$session" y
        for _ in $(seq 1 300); do [[ -d /proc/$pid ]] || break; sleep 0.1; done
        break
    fi
    sleep "$interval"
done
wait "$pid" 2>/dev/null
status=$?
[[ -n $deadline ]] && status=0
pid=""
fi

python3 - "$samples" "$out/summary.txt" "$status" <<'EOF'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])][1:]
rows = [[int(x) for x in r] for r in rows if len(r) == 6]
lines, ok = [], int(sys.argv[3]) == 0
if len(rows) < 10:
    lines.append(f"only {len(rows)} samples: too short to judge"); ok = False
else:
    warm = rows[max(1, len(rows) // 10):]
    base = warm[0]
    rss = [r[2] for r in warm]
    growth = rss[-1] - base[2]
    lines.append(f"samples {len(rows)} over {rows[-1][0]} s, last step {rows[-1][1]}, exit status {sys.argv[3]}")
    lines.append(f"RSS after warm-up (step {base[1]}): {base[2]/1024:.1f} MB; min {min(rss)/1024:.1f}, max {max(rss)/1024:.1f}, "
                 f"end {rss[-1]/1024:.1f} MB (growth {growth/1024:+.1f} MB); peak (VmHWM) {rows[-1][3]/1024:.1f} MB")
    curve = [warm[int(i * (len(warm) - 1) / 9)] for i in range(10)]
    lines.append("RSS curve (step: MB): " + ", ".join(f"{r[1]}: {r[2]/1024:.1f}" for r in curve))
    # Steady counts: the most common value among the first and the last tenth after warm-up. A
    # single sample above it is a file open at that moment (a checkpoint being written), not growth.
    tenth = max(1, len(warm) // 10)
    steady = lambda rows, k: max(set(r[k] for r in rows), key=lambda v: sum(1 for r in rows if r[k] == v))
    for k, name in [(4, "open fds"), (5, "threads")]:
        early, late = steady(warm[:tenth], k), steady(warm[-tenth:], k)
        spikes = sum(1 for r in warm if r[k] > early)
        lines.append(f"{name}: {early} after warm-up, {late} at the end, max {max(r[k] for r in warm)} "
                     f"({spikes} of {len(warm)} samples above {early})")
        if late > early: lines.append(f"FAIL: {name} grow"); ok = False
    if growth > max(16 * 1024, 0.10 * base[2]): lines.append("FAIL: resident memory grows"); ok = False
lines.append("soak: PASS" if ok else "soak: FAIL")
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
sys.exit(0 if ok else 1)
EOF
