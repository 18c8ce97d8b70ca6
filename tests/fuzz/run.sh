#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (-fsanitize=fuzzer,address,undefined) and runs them,
# each for SECONDS, starting from the committed seed corpus; prints executions and crashes.
#   usage: tests/fuzz/run.sh model_load|idx|image|all SECONDS [JOBS_DIR]
# Needs clang-14 and libclang-rt-14-dev (apt-get install clang-14 libclang-rt-14-dev).
# Findings go to build/fuzz/findings/<target>/ (crash-*, leak-*, timeout-*, oom-*); the corpus
# grown by a run to build/fuzz/corpus/<target>/ (the committed corpus stays as it is). Add a
# crashing input to tests/fuzz/regressions/<target>/ once fixed: CTest replays it.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
target=${1:?usage: run.sh model_load|idx|image|all SECONDS}
seconds=${2:?usage: run.sh TARGET SECONDS}
out=$root/build/fuzz
cxx=${CXX_FUZZ:-clang++-14}
if ! command -v "$cxx" >/dev/null; then
  echo "run.sh: $cxx not found: apt-get install clang-14 libclang-rt-14-dev" >&2
  exit 2
fi
targets=(model_load idx image)
[ "$target" = all ] || targets=("$target")

flags=(-std=c++17 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=undefined -I"$root/shared/include" -I"$root/shared/src" -I"$root/native"
       -isystem /usr/include/eigen3 -isystem /usr/include/stb)
core_sources=("$root"/shared/src/*.cpp)
data_sources=("$root"/native/data/{idx,fashion_mnist,image_folder,dataset,stb_impl}.cpp)

build() {  # build TARGET: objects once per source (parallel to 2), then the target
  local t=$1 objdir=$out/obj
  mkdir -p "$objdir"
  local sources=("${core_sources[@]}")
  [ "$t" != model_load ] && sources=("${data_sources[@]}")
  local objects=()
  for src in "${sources[@]}"; do
    local obj=$objdir/$(basename "${src%.cpp}").o
    objects+=("$obj")
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ]; then
      # -fsanitize=fuzzer-no-link: coverage for libFuzzer without a second main(). stb_image
      # 2.27's shifts by >= 32 on corrupt JPEG data are not checked (native/data/CMakeLists.txt).
      local extra=()
      [ "$(basename "$src")" = stb_impl.cpp ] && extra=(-fno-sanitize=shift)
      "$cxx" "${flags[@]/-fsanitize=fuzzer,address,undefined/-fsanitize=fuzzer-no-link,address,undefined}" \
        "${extra[@]}" -c "$src" -o "$obj" || return 1
    fi
  done
  "$cxx" "${flags[@]}" "$root/tests/fuzz/fuzz_$t.cpp" "${objects[@]}" -lz -o "$out/fuzz_$t" || return 1
}

status=0
for t in "${targets[@]}"; do
  echo "== $t: building" && build "$t" || { echo "$t: build failed"; status=1; continue; }
  mkdir -p "$out/corpus/$t" "$out/findings/$t"
  log=$out/$t.log
  echo "== $t: fuzzing for $seconds s (log $log)"
  touch "$out/findings/$t/.started"  # findings of this run only are counted
  started=$(date +%s)
  (cd "$out/findings/$t" && "$out/fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 \
      -timeout=10 -max_len=65536 -fork=0 "$out/corpus/$t" "$root/tests/fuzz/corpus/$t" >"$log" 2>&1)
  rc=$?
  elapsed=$(( $(date +%s) - started ))  # less than asked when a finding stopped the run
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  crashes=$(find "$out/findings/$t" -maxdepth 1 -type f -newer "$out/findings/$t/.started" \
             \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
  echo "$t: ${execs:-?} executions in $elapsed s, $crashes crashes/timeouts/ooms, ${cov:-cov ?}, exit $rc"
  if [ $rc -ne 0 ] || [ "$crashes" -gt 0 ]; then
    status=1
    grep -m 3 -E 'ERROR: |SUMMARY: |runtime error' "$log"
  fi
done
exit $status
