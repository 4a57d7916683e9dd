#!/usr/bin/env bash
# End to end: `ferdash video` on scripted videos of synthetic faces, as a person would run it.
# The videos are made here (`ferdash synth --video`, and Debian's ffmpeg for a variable frame
# rate, a stream, audio); a small model is trained on the built-in faces, so what the analysis
# should find is known: the scripted emotions, where and when.
# Usage: .ci/e2e-video.sh path/to/ferdash
set -uo pipefail
bin="$(realpath "${1:?usage: e2e-video.sh path/to/ferdash}")"
work="$(mktemp -d)"
mkdir -p "$work/pids"
cleanup() {
    local file
    for file in "$work"/pids/*.pid; do [[ -f $file ]] && kill -9 "$(cat "$file")" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
for tool in ffmpeg ffprobe python3; do
    command -v $tool >/dev/null || { echo "FAIL: $tool is missing (scripts/setup.sh installs it)"; exit 1; }
done
ferdash() { timeout -k 10 600 "$bin" "$@"; }
py() { timeout 120 python3 "$@"; }
passed=0; failed=0
pass() { echo "PASS: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1"; failed=$((failed + 1)); [[ -n ${2:-} ]] && sed 's/^/    | /' "$2" | tail -20; }
expect_error() {
    local name=$1 pattern=$2; shift 2
    if "$@" >out.txt 2>err.txt; then fail "$name (exit 0)" err.txt
    elif grep -qE "$pattern" err.txt out.txt && ! grep -qiE "fatal error|stack dump|backtrace" err.txt; then pass "$name"
    else fail "$name (output lacks /$pattern/)" err.txt; fi
}

# A model of the built-in faces (the shipped one was trained on photographs, not these).
ferdash train --headless --arch seed --steps 600 --eval-every 200 --run-dir model >train.txt 2>&1 \
    || { fail "training the model for the video checks" train.txt; echo "e2e-video: $passed passed, $failed failed"; exit 1; }

# Face 0: happy 2 s, gone 0.5 s (keeps its id), sad 2.5 s. Face 1 enters at 3.5 s, surprised.
script="happy:2,none:0.5,sad:2.5;none:3.5,surprise:1.5"
ferdash synth --video clip.mp4 --script "$script" >synth.txt 2>&1 && [[ -s clip.mp4 ]] \
    && pass "synth --video writes a scripted H.264 video" || fail "synth --video" synth.txt

if ferdash video clip.mp4 --model model --margin 0 --csv clip.csv --segments --plot plots --headless >video.txt 2>err.txt \
    && [[ -s clip.csv && -s clip-segments.csv && -s plots/clip.png ]]; then pass "video writes the table, the segments and the plot"
else fail "video clip.mp4" err.txt; fi
grep -qi "^face 0: visible" video.txt && pass "video prints a summary per face" || fail "the summary" video.txt

# The table: OpenFace's layout, every frame, the pts of the container, gaps as success 0.
# pts_time of every frame, less the stream's start (as the table counts), one per line.
probe_times() {
    local start
    start=$(ffprobe -v error -select_streams v:0 -show_entries stream=start_time -of default=nw=1:nk=1 "$1")
    ffprobe -v error -select_streams v:0 -show_entries frame=pts_time -of default=nw=1:nk=1 "$1" \
        | awk -v s="${start:-0}" 'NF { printf "%.6f\n", $1 - (s == "N/A" ? 0 : s) }'
}
probe_times clip.mp4 >pts.txt
if py - "$script" <<'EOF' >table.txt 2>&1; then pass "the table: every frame at the container's pts, gaps as success 0, one id per face"; else fail "the table" table.txt; fi
import csv, sys
rows = list(csv.DictReader(open("clip.csv")))
header = open("clip.csv").readline().strip()
assert header == "frame,timestamp,face_id,confidence,success,x,y,width,height,anger,disgust,fear,happy,sad,surprise,neutral,label", header
pts = sorted(float(line) for line in open("pts.txt") if line.strip())
times = sorted({float(r["timestamp"]) for r in rows})
assert len(times) == len(pts) == 150, (len(times), len(pts))
assert max(abs(a - b) for a, b in zip(times, pts)) < 1e-4, "timestamps differ from ffprobe's pts"
gap = [r for r in rows if 2.0 + 0.07 < float(r["timestamp"]) < 2.5 - 0.01]
assert gap and all(r["success"] == "0" and r["face_id"] == "" and r["label"] == "" for r in gap), gap[:2]
ids = {}
for r in rows:
    if r["success"] == "1":
        t = float(r["timestamp"]); x = int(r["x"]) + int(r["width"]) // 2
        ids.setdefault("left" if x < 320 else "right", set()).add(r["face_id"])
        assert 0 < float(r["confidence"]) <= 1, r
assert ids["left"] == {"0"}, ids   # back after half a second: the same id
assert ids["right"] == {"1"}, ids
print("ok", len(rows), "rows")
EOF

# A model that knows these faces recovers the script: within two frames where a followed face
# changes or comes back, and within the full search's interval and lag (0.5 s and four frames)
# plus one missed search where a face enters beside one already followed.
if py - <<'EOF' >segments.txt 2>&1; then pass "the segments recover the scripted emotions"; else fail "segments" segments.txt; fi
import csv
segs = [r for r in csv.DictReader(open("clip-segments.csv"))]
print(segs)
long = [s for s in segs if float(s["end"]) - float(s["start"]) >= 0.3]
want = [("0", "happy", 0.0, 2.0, 0.07), ("0", "sad", 2.5, 5.0, 0.07), ("1", "surprise", 3.5, 5.0, 0.7)]
assert len(long) == 3, long
for s, (face, emotion, start, end, slack) in zip(sorted(long, key=lambda s: (s["face_id"], float(s["start"]))), want):
    assert s["face_id"] == face and s["emotion"] == emotion, (s, face, emotion)
    assert abs(float(s["start"]) - start) <= slack and abs(float(s["end"]) - end) <= 0.1, (s, start, end)
EOF

# A variable frame rate: timestamps are the pts, not frame index ÷ rate.
ffmpeg -v error -y -i clip.mp4 -vf "select='lt(n\,30)+not(mod(n\,4))'" -fps_mode vfr -c:v libx264 vfr.mkv
probe_times vfr.mkv >vpts.txt
if ferdash video vfr.mkv --model model --margin 0 --csv vfr.csv --headless >/dev/null 2>err.txt && py - <<'EOF' 2>>err.txt; then
import csv
pts = sorted(float(l) for l in open("vpts.txt") if l.strip())
times = sorted({float(r["timestamp"]) for r in csv.DictReader(open("vfr.csv"))})
assert len(times) == len(pts) and max(abs(a - b) for a, b in zip(times, pts)) < 1e-4, (times[:40], pts[:40])
gaps = {round(b - a, 3) for a, b in zip(times, times[1:])}
assert {0.033, 0.133} <= gaps, gaps
EOF
    pass "a variable-frame-rate file keeps its own timestamps"
else fail "variable frame rate" err.txt; fi

# A phone video: stored sideways with a display matrix; boxes come in the displayed frame.
ferdash synth --video rot.mp4 --script "happy:1" --rotate 90 >/dev/null 2>&1
if ferdash video rot.mp4 --model model --margin 0 --csv rot.csv --headless >rot.txt 2>err.txt && grep -q "640×480 h264, rotated 90°" rot.txt \
    && py -c "
import csv
rows = [r for r in csv.DictReader(open('rot.csv')) if r['success'] == '1']
assert len(rows) >= 25, len(rows)
assert all(200 < int(r['x']) + int(r['width']) / 2 < 440 and 140 < int(r['y']) + int(r['height']) / 2 < 340 for r in rows), rows[0]
" 2>>err.txt; then pass "a rotated phone video is analysed upright, boxes in the displayed frame"
else fail "rotated video" err.txt; fi

# Damage: a truncated stream, a file that is no video, audio only, a folder that cannot be written.
ferdash synth --video long.mkv --script "happy:4" >/dev/null 2>&1
head -c $(( $(stat -c %s long.mkv) * 6 / 10 )) long.mkv >cut.mkv
if ferdash video cut.mkv --model model --margin 0 --csv cut.csv --headless >cut.txt 2>err.txt; [[ $? -le 1 ]] \
    && py -c "
import csv
rows = list(csv.DictReader(open('cut.csv')))
assert 40 <= len(rows) < 120 and float(rows[-1]['timestamp']) < 4, len(rows)
" 2>>err.txt && grep -qE "cut.mkv" cut.txt err.txt; then pass "a truncated video: the frames before the cut are in the table, the end is named"
else fail "truncated video" err.txt; fi
echo "hello" >notes.mp4
expect_error "a file that is no video is named" "notes.mp4" ferdash video notes.mp4 --model model --margin 0 --csv notes.csv --headless
ffmpeg -v error -y -f lavfi -i "sine=frequency=440:duration=1" audio.m4a
expect_error "audio only is named as such" "audio.m4a.*(no video|video stream)" ferdash video audio.m4a --model model --margin 0 --csv a.csv --headless
expect_error "an unwritable table names its path" "/nonexistent/x.csv" ferdash video clip.mp4 --model model --margin 0 --csv /nonexistent/x.csv --headless

# Batches: --out writes one table per video; --shard K/N splits a sorted list with no overlap.
cp clip.mp4 b.mp4; cp clip.mp4 c.mp4
if ferdash video c.mp4 clip.mp4 b.mp4 --model model --margin 0 --every 5 --out res --shard 0/2 --headless >shard0.txt 2>err.txt \
    && ferdash video c.mp4 clip.mp4 b.mp4 --model model --margin 0 --every 5 --out res --shard 1/2 --headless >shard1.txt 2>>err.txt \
    && [[ $(ls res | sort | tr '\n' ' ') == "b.csv c.csv clip.csv " ]] && [[ $(grep -c "" res/b.csv) -lt 60 ]]; then
    pass "--out and --shard: each video once, across the shards"
else fail "--out/--shard (res: $(ls res 2>/dev/null | tr '\n' ' '))" err.txt; fi

# A live stream that Debian's ffmpeg serves on the loopback: rows arrive while it plays; ^C stops
# cleanly and says where.
port=$((20000 + RANDOM % 20000))
ferdash synth --video live.mkv --script "happy:20" --size 320x240 >/dev/null 2>&1
ferdash video "udp://127.0.0.1:$port" --model model --margin 0 --csv live.csv --headless >live.txt 2>liveerr.txt &
echo $! >pids/live.pid
sleep 1
ffmpeg -v error -re -i live.mkv -c copy -f mpegts "udp://127.0.0.1:$port?pkt_size=1316" &
echo $! >pids/ffmpeg.pid
for _ in $(seq 150); do [[ -f live.csv && $(wc -l <live.csv) -gt 40 ]] && break; sleep 0.1; done
# ^C as a terminal sends it, to ferdash itself (a background job's `timeout` ignores SIGINT).
pkill -INT -P "$(cat pids/live.pid)"
wait "$(cat pids/live.pid)"; status=$?
kill "$(cat pids/ffmpeg.pid)" 2>/dev/null
found=$(awk -F, '$5 == 1' live.csv | wc -l)
if [[ $status -eq 130 ]] && ((found > 20)) && grep -q "stopped at" live.txt; then
    pass "a live UDP stream is analysed as it arrives; ^C leaves the table and says where it stopped"
else fail "live stream (exit $status, $(wc -l <live.csv 2>/dev/null) lines, $found with a face)" liveerr.txt; fi
expect_error "an absent camera gets a clear message" "/dev/video9" ferdash video /dev/video9 --model model --margin 0 --csv cam.csv --headless

echo "e2e-video: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
