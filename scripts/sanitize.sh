#!/usr/bin/env bash
# Sanitizer runs of the unit tests, each in its own build folder:
#   thread   the tests of the code that hands data between threads — the training session, the
#            event mailbox, the worker pool, two engines side by side, the batch preparer, the
#            dashboard loop, the run watcher, the CSV block pipeline and parallel gzip loads, the
#            video pipeline's decode and analysis threads, the full-disk session test — under
#            Thread Sanitizer;
#   address  the whole suite under Address Sanitizer (memory errors; leaks: see below).
# Any sanitizer report fails the run, even if every test passed. Prints how long each took.
# Usage: scripts/sanitize.sh [thread|address|all]   (default all; slow: see README "Testing")
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/setup.sh
set +e   # setup.sh turns on -e; a failing run must be reported here, not end the script
which="${1:-all}"
export SWIFT_BACKTRACE=enable=no   # sanitizers print their own reports
status=0

# run NAME SCRATCH SANITIZER [FILTER]
run() {
    local name=$1 scratch=$2 sanitizer=$3 filter=${4:-} log="$2/sanitize.log" start=$SECONDS
    mkdir -p "$scratch"
    local args=(--sanitize="$sanitizer" --scratch-path "$scratch")
    [[ -n $filter ]] && args+=(--filter "$filter")
    # halt_on_error=0: report every race, not only the first; exitcode makes any report fail.
    TSAN_OPTIONS="halt_on_error=0:exitcode=66:second_deadlock_stack=1" \
    # No leak check at exit here: swift-corelibs-xctest keeps every test case in reference cycles,
    # so whatever a test object holds shows up as "leaked". Leaks are checked where they mean
    # something: per input by the fuzzers (scripts/fuzz.sh) and over a long run by scripts/soak.sh.
    ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:exitcode=66" \
        swift test "${args[@]}" >"$log" 2>&1
    local result=$?
    local reports
    reports=$(grep -cE "^(==[0-9]+==)?(WARNING|ERROR): (ThreadSanitizer|AddressSanitizer|LeakSanitizer)" "$log")
    local summary
    summary=$(grep -E "Executed [0-9]+ tests" "$log" | tail -1 | sed 's/^ *//')
    echo "$name sanitizer: ${summary:-no test summary}; $reports sanitizer reports; $((SECONDS - start)) s (log $log)"
    if ((result != 0 || reports != 0)); then
        grep -E -A12 "^(==[0-9]+==)?(WARNING|ERROR): (ThreadSanitizer|AddressSanitizer|LeakSanitizer)|^SUMMARY: |error: |failed \(" "$log" | head -60
        status=1
    fi
}

if [[ $which == thread || $which == all ]]; then
    run thread .build-tsan thread \
        'TrainingSessionTests|TrainingDeadlineTests|ConcurrencyTests|FullDiskTests|WorkerPoolTests|EngineTests|LoopTests|CSVStreamTests|GzipTests|RunPollerTests|VideoPipelineTests'
fi
if [[ $which == address || $which == all ]]; then
    run address .build-asan address
fi
exit $status
