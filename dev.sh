#!/usr/bin/env bash
# locksmith developer entry point.
#   ./dev.sh run    install what is missing, build the program, run `locksmith agent` on the
#                   embedded store
#   ./dev.sh test   install what is missing, build, and run every test under ASan+UBSan (the
#                   threaded components' unit tests also under TSan),
#                   scripts/test-secret-rotation.sh, a 60-s soak and every fuzzer for 5 s;
#                   this is what CI runs
#   ./dev.sh bench  build in Release and run the benchmarks
set -euo pipefail
cd "$(dirname "$0")"

# What the library and the program need (./dev.sh run), then what tests and benchmarks add.
RUN_DEPS=(cmake ninja-build g++ pkg-config libssl-dev libcurl4-openssl-dev nlohmann-json3-dev
  libsqlite3-dev prometheus-cpp-dev libcli11-dev libspdlog-dev libfmt-dev libboost-dev curl
  ccache libpqxx-dev libhiredis-dev libctemplate-dev)
BUILD_DEPS=("${RUN_DEPS[@]}" libgtest-dev libgmock-dev libbenchmark-dev libjwt-dev)
# postgresql: the re-encryption tests start a throwaway cluster of their own (initdb in a
# temporary directory, unix socket only); the package's default cluster is not used. Likewise
# redis-server: the Redis rotation tests and the example service's test start their own
# (tests/support/redis_server.h). prometheus: its promtool checks and unit-tests the alert rules
# (tests/deploy runs only promtool; like the postgresql cluster, the package's server is not used).
# systemd: systemd-analyze and systemd-sysusers check deploy/systemd (no running systemd needed);
# strace: the agent's system calls against the unit's filter.
# clang + libclang-rt-14-dev: libFuzzer (fuzz/run.sh); wrk: the agent's soak test.
TEST_DEPS=(sqlite3 python3 python3-hvac python3-botocore awscli python3-jwt postgresql
  redis-server curl prometheus systemd strace clang libclang-rt-14-dev wrk)

log() { printf '\033[1m== [%4ss] %s\033[0m\n' "$SECONDS" "$*" >&2; }

install_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}"; then
    $sudo apt-get update
    $sudo apt-get install -y --no-install-recommends "${missing[@]}"
  fi
}

njobs() { nproc 2>/dev/null || echo 2; }

# ccache keeps compiled objects between runs (its directory, ~/.cache/ccache, survives on the
# same machine), so a rebuild after a small change, or CI's next run, compiles only what changed.
# base_dir makes objects shareable between checkouts in different directories.
export CCACHE_BASEDIR="$PWD"
export CCACHE_SLOPPINESS="pch_defines,time_macros,include_file_mtime,include_file_ctime"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
launcher=()
ccache_dir="${CCACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/ccache}"
if command -v ccache >/dev/null && mkdir -p "$ccache_dir" 2>/dev/null && [ -w "$ccache_dir" ]; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

build() {  # build <dir> [--target T...] -- [cmake args...]
  local dir=$1
  shift
  local targets=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    targets+=("$1")
    shift
  done
  [ $# -gt 0 ] && shift
  cmake -S . -B "$dir" -G Ninja "${launcher[@]}" "$@" >/dev/null
  cmake --build "$dir" -j "$(njobs)" "${targets[@]}"
}

case "${1:-}" in
  run)
    shift
    install_packages "${RUN_DEPS[@]}"
    log "building the locksmith program"
    # Only the program: no tests, benchmarks or test doubles (./dev.sh test builds those).
    build build-run --target locksmith_program -- -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DLOCKSMITH_BUILD_TESTS=OFF -DLOCKSMITH_BUILD_BENCH=OFF -DLOCKSMITH_BUILD_TESTING_LIB=OFF \
      -DLOCKSMITH_INSTALL=OFF
    log "starting the agent (Ctrl-C stops it)"
    exec ./build-run/apps/locksmith/locksmith agent "$@"
    ;;
  test)
    install_packages "${BUILD_DEPS[@]}" "${TEST_DEPS[@]}"
    # Two builds, not three: every test (unit, integration against the test servers, the real
    # hvac and aws clients, the installed-package consumer) runs under ASan+UBSan, and the unit
    # tests of the components that run threads under TSan. Both compile at -O0 without debug
    # info (the fastest to compile); benchmarks are built and measured only by `./dev.sh bench`,
    # in Release (not here: CI's 30 minutes).
    log "build with ASan+UBSan, run every test"
    build build-asan -- -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -g0" \
      -DLOCKSMITH_SANITIZE=address,undefined -DLOCKSMITH_BUILD_BENCH=OFF
    # The TSan build and the fuzzers' clang build need only CPU, and the ASan tests leave much of
    # it idle (servers, child processes, kill loops waiting): the two builds run meanwhile, at a
    # lower priority, and their output is shown only if one fails.
    log "in the background: build with TSan, then the fuzzers (clang, libFuzzer, ASan+UBSan)"
    (
      renice -n 10 "$BASHPID" >/dev/null
      build build-tsan -- -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -g0" \
        -DLOCKSMITH_SANITIZE=thread -DLOCKSMITH_BUILD_BENCH=OFF -DLOCKSMITH_BUILD_APPS=OFF \
        -DLOCKSMITH_INSTALL=OFF -DLOCKSMITH_BUILD_EXAMPLES=OFF
      # CI's brief runs need no optimisation or line tables: -O0 -g0 compiles fastest.
      LOCKSMITH_FUZZ_CXXFLAGS="-O0 -g0" fuzz/run.sh --build
    ) >build-asan/background-builds.log 2>&1 &
    background_builds=$!
    # One more test than cores: many wait on servers, child processes and kills, not the CPU.
    ctest --test-dir build-asan --output-on-failure -j "$(($(njobs) + 1))"
    # The three back ends at once (each run has its own PostgreSQL, Redis and test server): the
    # embedded store, the Vault and AWS test servers (~20 s each alone); each one's output after.
    log "rotation without a restart, end to end, on local, vault, aws (scripts/test-secret-rotation.sh)"
    rotation_pids=()
    for backend in local vault aws; do
      scripts/test-secret-rotation.sh --backend "$backend" --build-dir build-asan \
        >"build-asan/rotation-$backend.log" 2>&1 &
      rotation_pids+=($!)
    done
    rotation_failed=0
    for i in 0 1 2; do
      wait "${rotation_pids[$i]}" || rotation_failed=1
    done
    cat build-asan/rotation-{local,vault,aws}.log
    [ "$rotation_failed" -eq 0 ] || { log "a rotation run failed (its output is above)"; exit 1; }
    log "soak: the agent under wrk for 60 s, back end failing 10%, a rotation every 10 s"
    /usr/bin/python3 scripts/soak-agent.py --duration "${LOCKSMITH_SOAK_SECONDS:-60}" \
      --build-dir build-asan
    log "waiting for the background builds (TSan, fuzzers)"
    if ! wait "$background_builds"; then
      tail -n 60 build-asan/background-builds.log
      log "a background build failed (the end of its output is above)"
      exit 1
    fi
    log "every fuzzer briefly (fuzz/run.sh --all; clang, libFuzzer, ASan+UBSan)"
    LOCKSMITH_FUZZ_CXXFLAGS="-O0 -g0" fuzz/run.sh --all "${LOCKSMITH_FUZZ_SECONDS:-5}"
    log "the unit tests of threaded components under TSan"
    # TSAN_OPTIONS are set per test by CMake (tests/CMakeLists.txt).
    ctest --test-dir build-tsan --output-on-failure -L unit -j "$(njobs)"
    log "all tests passed"
    ;;
  bench)
    shift
    install_packages "${BUILD_DEPS[@]}"
    # Only what is measured: the Google Benchmark cases, the two client-comparison programs and
    # the program (for the agent benchmark).
    build build-release --target locksmith_bench vault_cold_start aws_preload locksmith_program \
      reencrypt_bench -- -DCMAKE_BUILD_TYPE=Release -DLOCKSMITH_BUILD_TESTS=OFF
    ./build-release/bench/locksmith_bench --benchmark_repetitions=5 \
      --benchmark_report_aggregates_only=true "$@"
    # The client comparisons serve recorded answers from nginx (bench/canned_server.py), so the
    # clients are measured and not the Python test servers; wrk shows what nginx alone serves.
    install_packages python3-hvac python3-boto3 nginx-light wrk
    log "Vault cold start: locksmith vs hvac"
    /usr/bin/python3 bench/vault_cold_start.py --bin build-release/bench/vault_cold_start
    log "AWS start-up preload: locksmith vs boto3"
    /usr/bin/python3 bench/aws_preload.py --bin build-release/bench/aws_preload
    log "agent vs nginx (wrk, same JSON body)"
    /usr/bin/python3 bench/agent_bench.py --bin build-release/apps/locksmith/locksmith
    log "reencrypt vs UPDATE t SET col = col and pgcrypto (a throwaway PostgreSQL cluster)"
    install_packages postgresql
    ./build-release/bench/reencrypt_bench
    ;;
  *)
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
