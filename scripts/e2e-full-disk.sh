#!/usr/bin/env bash
# Full and read-only disks, for real: a small tmpfs (needs root; skipped otherwise) on which
#   1. headless training runs out of space at a checkpoint: it stops with a message naming the file
#      and the reason, leaves no temporary file, the previous checkpoint loads, the metrics are
#      whole lines; with space again, --resume continues from that checkpoint;
#   2. the same filesystem read-only: --resume says so, naming the metrics log; nothing is touched;
#   3. a directory where a checkpoint goes, and a file where the run directory goes: named errors;
#   4. the dashboard on a full disk shows `failed` with the message, and quitting restores the terminal;
#   5. `ferdash video` filling a disk: the error names the table and the reason, the table keeps
#      whole rows of every frame written.
# Usage: scripts/e2e-full-disk.sh path/to/ferdash
set -uo pipefail
bin="$(realpath "${1:?usage: e2e-full-disk.sh path/to/ferdash}")"
work="$(mktemp -d)"
mnt="$work/disk"
session="ferdash-fulldisk-$$"
cleanup() {
    tmux kill-session -t "$session" 2>/dev/null
    mountpoint -q "$mnt" && umount "$mnt"
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$mnt"
if [[ $(id -u) -ne 0 ]] || ! mount -t tmpfs -o size=56m tmpfs "$mnt" 2>/dev/null; then
    echo "SKIP: full-disk tests need root to mount a tmpfs"
    exit 0
fi
passed=0; failed=0
pass() { echo "PASS: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1"; failed=$((failed + 1)); [[ -n ${2:-} && -f $2 ]] && tail -8 "$2" | sed 's/^/    | /'; }
no_temporaries() { ! ls "$1" | grep -q "\.tmp-"; }
metrics_whole() { python3 -c "import json,sys; [json.loads(l) for l in open(sys.argv[1], 'rb').read().split(b'\n')[:-1]]; assert open(sys.argv[1], 'rb').read().endswith(b'\n')" "$1"; }
"$bin" synth --out "$work/few.csv" --count 30 --seed 1 >/dev/null 2>&1   # evaluate on a few faces: quick
loads_at_step() { timeout 300 "$bin" evaluate --data "$work/few.csv" --model "$1" --split validation --json >"$work/eval.json" 2>"$work/eval.err" \
    && python3 -c "import json; assert json.load(open('$work/eval.json'))['accuracy'] >= 0" && grep -q "\"step\":$2," "$3"; }

# --- 1. no space: 56 MB holds the latest seed checkpoint (28.6 MB) and the best one (the compact
#     model, 9.5 MB), not a second latest one written beside the first
run="$mnt/run"
timeout 300 "$bin" train --headless --arch seed --steps 30 --eval-every 3 --run-dir "$run" >"$work/full.txt" 2>&1
status=$?
if ((status != 0 && status != 124)) && grep -q "cannot write $run/checkpoint-latest.ferdash: No space left on device" "$work/full.txt" \
    && grep -q "Training stopped at step 6; the checkpoint of step 3 is intact" "$work/full.txt" \
    && ! grep -qiE "fatal error|stack dump" "$work/full.txt"; then
    pass "a full disk stops training with the file and the reason"
else fail "full disk (exit $status)" "$work/full.txt"; fi
no_temporaries "$run" && pass "no temporary file left on the full disk" || fail "temporary files left: $(ls "$run")"
loads_at_step "$run/checkpoint-latest.ferdash" 3 "$run/metrics.jsonl" && pass "the previous checkpoint (step 3) loads" || fail "previous checkpoint" "$work/eval.err"
metrics_whole "$run/metrics.jsonl" && pass "metrics.jsonl holds whole lines" || fail "metrics.jsonl damaged"

mount -o remount,size=160m "$mnt"
if timeout 300 "$bin" train --headless --resume --run-dir "$run" --steps 9 --eval-every 3 >"$work/resume.txt" 2>&1 \
    && grep -q "^Resuming $run from step 3 " "$work/resume.txt" && grep -q "^Finished at step 9 " "$work/resume.txt"; then
    pass "with space again, --resume continues from step 3"
else fail "--resume after the full disk" "$work/resume.txt"; fi

# --- 2. read-only
before=$(md5sum "$run/checkpoint-latest.ferdash" "$run/metrics.jsonl")
mount -o remount,ro "$mnt"
timeout 120 "$bin" train --headless --resume --run-dir "$run" --steps 15 --eval-every 3 >"$work/ro.txt" 2>&1
status=$?
if ((status != 0 && status != 124)) && grep -q "$run/metrics.jsonl: Read-only file system" "$work/ro.txt" \
    && [[ $(md5sum "$run/checkpoint-latest.ferdash" "$run/metrics.jsonl") == "$before" ]]; then
    pass "a read-only run directory is named, and nothing in it changes"
else fail "read-only (exit $status)" "$work/ro.txt"; fi
mount -o remount,rw "$mnt"

# --- 3. things in the way
mkdir -p "$mnt/blocked/checkpoint-latest.ferdash"
timeout 120 "$bin" train --headless --arch seed --steps 3 --eval-every 3 --run-dir "$mnt/blocked" >"$work/blocked.txt" 2>&1
grep -q "cannot replace $mnt/blocked/checkpoint-latest.ferdash: Is a directory" "$work/blocked.txt" && no_temporaries "$mnt/blocked" \
    && pass "a directory in the way of a checkpoint is named" || fail "directory in the way" "$work/blocked.txt"
echo x >"$mnt/afile"
timeout 60 "$bin" train --headless --arch seed --steps 3 --run-dir "$mnt/afile" >"$work/afile.txt" 2>&1
grep -q "cannot use $mnt/afile as the run directory: a file is in the way" "$work/afile.txt" \
    && pass "a file in the way of the run directory is named" || fail "file in the way" "$work/afile.txt"

# --- 4. the dashboard on a full disk
rm -rf "$mnt"/*
free=$(df --output=avail -B1 "$mnt" | tail -1)
head -c $((free - (4 << 20))) /dev/zero >"$mnt/filler"   # 4 MB left: the first checkpoint cannot fit
tmux new-session -d -s "$session" -x 120 -y 40 \
    "TERM=xterm-256color timeout --foreground 300 '$bin' train --arch seed --steps 1000 --eval-every 3 --run-dir '$mnt/dash'; echo EXITED \$?; sleep 600"
# wait_screen SECONDS PATTERN: polls the pane until PATTERN shows.
wait_screen() {
    local deadline=$((SECONDS + $1))
    until tmux capture-pane -p -t "$session" >"$work/screen.txt" 2>/dev/null && grep -qE "$2" "$work/screen.txt"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}
if wait_screen 120 "failed" && grep -q "No space left on device" "$work/screen.txt"; then
    pass "the dashboard shows the failure and the reason"
else fail "dashboard did not show the failure within 120 s (waited for 'failed' + 'No space left on device')" "$work/screen.txt"; fi
tmux send-keys -t "$session" q
if wait_screen 30 "^EXITED" && [[ $(tmux display -p -t "$session" '#{alternate_on}') == 0 ]]; then
    pass "quitting the failed dashboard restores the terminal ($(grep -m1 EXITED "$work/screen.txt"))"
else fail "dashboard quit (waited for EXITED and the alternate screen off)" "$work/screen.txt"; fi
no_temporaries "$mnt/dash" && pass "no temporary file left by the dashboard's run" || fail "dashboard left temporaries"

# --- 5. a video's table on a full disk
tmux kill-session -t "$session" 2>/dev/null
rm -rf "$mnt"/*
timeout 300 "$bin" synth --video "$work/clip.mp4" --script "happy:4" --size 320x240 >/dev/null 2>&1
free=$(df --output=avail -B1 "$mnt" | tail -1)
head -c $((free - (4 << 10))) /dev/zero >"$mnt/filler"   # 4 KB left: some rows, not all
timeout 300 "$bin" video "$work/clip.mp4" --csv "$mnt/clip.csv" --headless >"$work/video.txt" 2>&1
status=$?
if ((status != 0)) && grep -q "$mnt/clip.csv" "$work/video.txt" && grep -q "No space left on device" "$work/video.txt" \
    && ! grep -qiE "fatal error|stack dump" "$work/video.txt" \
    && python3 -c "
import sys
data = open(sys.argv[1], 'rb').read()
lines = data.split(b'\n')
assert data.endswith(b'\n') and len(lines) > 10, len(lines)
assert all(line.count(b',') == 16 for line in lines[:-1]), 'a torn row'
" "$mnt/clip.csv"; then
    pass "a full disk stops the video with the table's name and the reason; the table keeps whole rows"
else fail "video on a full disk (exit $status)" "$work/video.txt"; fi

echo "full disk: $passed passed, $failed failed"
((failed == 0))
