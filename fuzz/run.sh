#!/usr/bin/env bash
# Fuzzing with libFuzzer (clang, ASan+UBSan), in build-fuzz/.
#   fuzz/run.sh NAME SECONDS      build and run fuzz/NAME_fuzzer.cc for SECONDS on its seeds
#   fuzz/run.sh --all SECONDS     every fuzzer for SECONDS each, two at a time (CI), then a table
#   fuzz/run.sh --list            the fuzzers' names
#   fuzz/run.sh --build           build every fuzzer, run none
# The committed seeds (fuzz/corpus/NAME/) are read, never written: inputs libFuzzer finds go to
# build-fuzz/corpus/NAME/ (kept between runs; copy the interesting ones into the seeds), crashes to
# build-fuzz/artifacts/. A crash input belongs in fuzz/regressions/NAME/ once fixed: the test build
# replays it in ctest (fuzz_replay_NAME). Exit status: 0 when no fuzzer found anything.
# LOCKSMITH_FUZZ_CXXFLAGS (default "-O1 -gline-tables-only") sets the optimisation; CI's brief
# runs use "-O0 -g0", which compiles fastest.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build_dir=${LOCKSMITH_FUZZ_BUILD_DIR:-$root/build-fuzz}

usage() {
  sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

configure_and_build() {  # configure_and_build [targets...]
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR="$root"
  CC=clang CXX=clang++ cmake -S . -B "$build_dir" -G Ninja "${launcher[@]}" \
    -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=${LOCKSMITH_FUZZ_CXXFLAGS:--O1 -gline-tables-only}" \
    -DLOCKSMITH_FUZZ=ON -DLOCKSMITH_SANITIZE=address,undefined -DLOCKSMITH_BUILD_TESTS=OFF \
    -DLOCKSMITH_BUILD_BENCH=OFF -DLOCKSMITH_BUILD_APPS=OFF -DLOCKSMITH_INSTALL=OFF \
    -DLOCKSMITH_BUILD_EXAMPLES=OFF -DLOCKSMITH_BUILD_TESTING_LIB=OFF >/dev/null
  cmake --build "$build_dir" -j "$(nproc 2>/dev/null || echo 2)" --target "$@"
}

fuzzer_names() { grep -v '^$' "$build_dir/fuzz/fuzzers.txt"; }

# run_one NAME SECONDS: runs the fuzzer, prints one summary line; non-zero if it found a crash.
run_one() {
  local name=$1 seconds=$2
  local seeds="$root/fuzz/corpus/$name" found="$build_dir/corpus/$name"
  local log="$build_dir/logs/$name.log"
  mkdir -p "$found" "$build_dir/artifacts" "$build_dir/logs"
  local options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
    -artifact_prefix="$build_dir/artifacts/$name-")
  [ -f "$root/fuzz/dict/$name.dict" ] && options+=(-dict="$root/fuzz/dict/$name.dict")
  [ -f "$root/fuzz/corpus/$name.max_len" ] && options+=(-max_len="$(cat "$root/fuzz/corpus/$name.max_len")")
  local status=0
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build_dir/fuzz/${name}_fuzzer" "${options[@]}" "$found" "$seeds" >"$log" 2>&1 || status=$?
  local execs corpus
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  corpus=$(ls "$found" | wc -l)
  if [ "$status" -ne 0 ]; then
    printf '%-24s FAILED (exit %s) after %s executions; last lines of %s:\n' "$name" "$status" \
      "${execs:-?}" "$log"
    grep -E 'ERROR|SUMMARY|fuzz property|Test unit written|runtime error' "$log" | head -20
    return 1
  fi
  printf '%-24s %12s executions in %4s s, %6s inputs found so far, no crash\n' "$name" "$execs" \
    "$seconds" "$corpus"
}

case "${1:-}" in
  --list)
    configure_and_build help >/dev/null 2>&1 || true
    fuzzer_names
    ;;
  --build)
    configure_and_build help >/dev/null
    mapfile -t names < <(fuzzer_names)
    configure_and_build "${names[@]/%/_fuzzer}"
    ;;
  --all)
    [ $# -eq 2 ] || usage
    seconds=$2
    # Configure first (fuzzers.txt), then build every fuzzer in one ninja run.
    configure_and_build help >/dev/null
    mapfile -t names < <(fuzzer_names)
    configure_and_build "${names[@]/%/_fuzzer}"
    export -f run_one
    export build_dir root
    mkdir -p "$build_dir/logs"  # each fuzzer's summary is written there before run_one starts
    # Two at a time (each fuzzer is one process on one core); the table in the names' order.
    printf '%s\n' "${names[@]}" | xargs -P "$(nproc 2>/dev/null || echo 2)" -I{} \
      bash -c 'run_one "$1" "$2" >"$0/logs/$1.summary" 2>&1 || touch "$0/logs/$1.failed"' \
      "$build_dir" {} "$seconds" || true
    failed=0
    for name in "${names[@]}"; do
      cat "$build_dir/logs/$name.summary"
      if [ -e "$build_dir/logs/$name.failed" ]; then
        failed=1
        rm -f "$build_dir/logs/$name.failed"
      fi
    done
    exit "$failed"
    ;;
  -h|--help|"")
    usage
    ;;
  *)
    [ $# -eq 2 ] || usage
    name=$1
    seconds=$2
    [ -f "$root/fuzz/${name}_fuzzer.cc" ] || { echo "no fuzzer fuzz/${name}_fuzzer.cc" >&2; exit 2; }
    configure_and_build "${name}_fuzzer"
    run_one "$name" "$seconds"
    ;;
esac
