#!/usr/bin/env bash
# Coverage-guided fuzzing of one parser with libFuzzer + AddressSanitizer.
# Usage: scripts/fuzz.sh TARGET SECONDS    (TARGET: csv csv-gzip png jpeg pnm exif checkpoint cascade metrics video; `all` runs each)
#
# Builds `ferfuzz` with -sanitize=fuzzer,address into .build-fuzz (debug: bounds and overflow
# checks on), then mutates the committed seeds of Tests/FuzzReplayTests/corpus/TARGET with the
# target's dictionary. New interesting inputs go to a scratch corpus (FERFUZZ_WORK/corpus, default
# /tmp/ferfuzz-TARGET/corpus; the log is FERFUZZ_WORK/fuzz.log), never into the repository. Memory is capped at 2 GB, one input at 60 s
# (generous: on a loaded machine under nice a 0.3 s input took 12 s, a false "timeout").
# A finding (crash, leak, timeout, out-of-memory) is saved as .../artifacts/TARGET/<kind>-<hash>;
# reproduce it with `swift run ferfuzz TARGET FILE`, fix it, and commit the file under
# Tests/FuzzReplayTests/regressions/TARGET/ so `swift test` replays it from then on.
# The last lines print the executions and coverage (cov: edges, ft: features) reached.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${1:?usage: fuzz.sh TARGET SECONDS}"
seconds="${2:?usage: fuzz.sh TARGET SECONDS}"
cd "$root"
source scripts/setup.sh

targets=(csv csv-gzip png jpeg pnm exif checkpoint cascade metrics video)
if [[ $target == all ]]; then
    for t in "${targets[@]}"; do "$0" "$t" "$seconds" || exit 1; done
    exit 0
fi
[[ " ${targets[*]} " == *" $target "* ]] || { echo "fuzz.sh: unknown target '$target' (known: ${targets[*]})" >&2; exit 2; }

swift build --scratch-path .build-fuzz --product ferfuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFERFUZZ_LIBFUZZER -Xcc -fsanitize=fuzzer-no-link,address >&2
bin="$root/.build-fuzz/debug/ferfuzz"

work="${FERFUZZ_WORK:-/tmp/ferfuzz-$target}"
artifacts="$root/.build-fuzz/artifacts/$target"
# The log beside the corpus, never in it: libFuzzer would read it as an input, reduce it and delete it.
mkdir -p "$work/corpus" "$artifacts"
dict=()
[[ -f Tests/FuzzReplayTests/dictionaries/$target.dict ]] && dict=(-dict="Tests/FuzzReplayTests/dictionaries/$target.dict")
max_len=4096
[[ $target == csv* ]] && max_len=65536
# The video seeds are whole small files (an AVI's header alone is several KB).
[[ $target == video ]] && max_len=16384

# Swift's crash backtracer would wait on a crashing input; libFuzzer reports crashes itself.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$root/Tests/FuzzReplayTests/lsan.supp:print_suppressions=0}"
export FERFUZZ_TARGET="$target"
log="$work/fuzz.log"
set +e
"$bin" "$work/corpus" "Tests/FuzzReplayTests/corpus/$target" "${dict[@]}" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=60 -max_len="$max_len" \
    -artifact_prefix="$artifacts/" -print_final_stats=1 2>"$log"
status=$?
set -e
grep -E "^#[0-9]+[[:space:]]+(DONE|INITED)" "$log" | tail -2 || true
grep -E "^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)" "$log" || true
if ((status != 0)); then
    echo "fuzz.sh: $target FOUND A PROBLEM (exit $status); log $log, input under $artifacts" >&2
    grep -E "ERROR|Fatal error|SUMMARY|ferfuzz:" "$log" | head -5 >&2
    exit 1
fi
echo "fuzz.sh: $target ran ${seconds}s without a finding"
