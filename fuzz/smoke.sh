#!/usr/bin/env bash
# Fuzzing smoke run (CI): builds every cargo-fuzz target and fuzzes each for FUZZ_SECONDS
# (default 12) starting from its committed corpus. A crash fails the run and leaves the input in
# fuzz/artifacts/<target>/. The long runs and their figures are in docs/reliability.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

target_dir=${CARGO_TARGET_DIR:-$PWD/target}
tools=$target_dir/fuzz-tools
if ! "$tools/bin/cargo-fuzz" --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked --version 0.13.2 --root "$tools"
fi
export PATH=$tools/bin:$PATH
# cargo-fuzz passes nightly-only compiler flags; the machine's one (stable) toolchain accepts them
# with RUSTC_BOOTSTRAP=1. A debug build without sanitizer (overflow checks on): the targets are
# safe Rust, and an optimised or ASan build of the bundled SQLite takes minutes longer.
export RUSTC_BOOTSTRAP=1
flags=(--dev -s none --target-dir "$target_dir/fuzz")
seconds=${FUZZ_SECONDS:-12}

cargo fuzz build "${flags[@]}"
for fuzz_target in $(cargo fuzz list); do
    scratch=$target_dir/fuzz-corpus/$fuzz_target
    log=$target_dir/fuzz-corpus/$fuzz_target.log
    mkdir -p "$scratch"
    status=0
    cargo fuzz run "${flags[@]}" "$fuzz_target" "$scratch" "fuzz/corpus/$fuzz_target" -- \
        -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -max_len=65536 \
        -print_final_stats=1 >"$log" 2>&1 || status=$?
    runs=$(grep -m1 '^stat::number_of_executed_units' "$log" | awk '{print $2}')
    echo "-- $fuzz_target: ${runs:-0} inputs in ${seconds}s, exit $status"
    if [ "$status" -ne 0 ]; then
        tail -n 40 "$log" >&2
        echo "fuzz target $fuzz_target failed; the input is in fuzz/artifacts/$fuzz_target/" >&2
        exit 1
    fi
done
