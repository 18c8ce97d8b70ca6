#!/usr/bin/env bash
# Builds the core (shared/src/*.cpp) and tests/wasm/core_forward.cpp with em++, runs the result
# under node on a model file, runs the same driver built natively, and compares the printed
# values: |wasm - native| <= 1e-5 * max(1, |native|) for every value, the mean and the L2 norm.
#
# usage: tests/wasm/run.sh --eigen DIR --json DIR --model FILE [--native EXE] [--build DIR]
#   --eigen/--json  include folders of Eigen 3.4 and nlohmann/json (CMake passes its own)
#   --native        the driver built natively (CMake's ganzoo_core_forward); else built here with c++
#   --build         folder for the objects and outputs (default: a fresh temp folder)
# Exit status: 0 match, 1 mismatch or build/run failure, 77 em++ not on PATH (CTest: skipped).
set -euo pipefail

eigen="" json="" model="" native="" build=""
while [ $# -gt 0 ]; do
  case "$1" in
    --eigen) eigen="$2"; shift 2 ;;
    --json) json="$2"; shift 2 ;;
    --model) model="$2"; shift 2 ;;
    --native) native="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 1 ;;
  esac
done
if [ -z "$eigen" ] || [ -z "$json" ] || [ -z "$model" ]; then
  echo "usage: $0 --eigen DIR --json DIR --model FILE [--native EXE] [--build DIR]" >&2
  exit 1
fi
if ! command -v em++ >/dev/null 2>&1; then
  echo "SKIP: em++ is not on PATH (install Debian's emscripten to run the wasm parity test)"
  exit 77
fi

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
[ -n "$build" ] || build="$(mktemp -d -t ganzoo-wasm.XXXXXX)"
mkdir -p "$build/obj"
# emcc's optimizing link needs acorn from Debian's node modules (docs/toolchain.md).
export NODE_PATH=/usr/share/nodejs

# Only Eigen/ and nlohmann/ go on em++'s include path: the folders may be /usr/include, whose
# glibc headers would shadow emscripten's own libc.
mkdir -p "$build/include"
ln -sfn "$eigen/Eigen" "$build/include/Eigen"
ln -sfn "$json/nlohmann" "$build/include/nlohmann"
cxxflags=(-std=c++17 -O2 -msimd128 -fexceptions -DNDEBUG -Wall -Wextra
          -I"$root/shared/include" -I"$root/shared/src" -isystem "$build/include")
sources=("$root"/shared/src/*.cpp "$here/core_forward.cpp")

echo "== em++ $(em++ --version 2>/dev/null | sed -n "1s/.*) //p") -> $build"
start=$(date +%s)
# Two compile jobs at a time (the machine has two cores).
printf '%s\n' "${sources[@]}" | xargs -P 2 -I{} sh -c \
  'src="$1"; shift; em++ "$@" -c "$src" -o "'"$build"'/obj/$(basename "$src" .cpp).o"' _ {} "${cxxflags[@]}" \
  || { echo "FAIL: em++ compile failed"; exit 1; }
em++ -O2 -msimd128 -fexceptions -sALLOW_MEMORY_GROWTH=1 -sNODERAWFS=1 -sENVIRONMENT=node \
  "$build"/obj/*.o -o "$build/core_forward.js" || { echo "FAIL: em++ link failed"; exit 1; }
echo "   built in $(( $(date +%s) - start )) s, $(stat -c %s "$build/core_forward.wasm") bytes of wasm"

if [ -z "$native" ]; then
  native="$build/core_forward_native"
  native_flags=()
  for f in "${cxxflags[@]}"; do [ "$f" = -msimd128 ] || native_flags+=("$f"); done
  c++ "${native_flags[@]}" "${sources[@]}" -o "$native" || { echo "FAIL: native build failed"; exit 1; }
fi

status=0
"$native" "$model" > "$build/native.txt" || { echo "FAIL: native driver exited with $?"; status=1; }
node --no-experimental-fetch "$build/core_forward.js" "$model" > "$build/wasm.txt" \
  || { echo "FAIL: wasm driver exited with $?"; status=1; }

echo "== native: $(grep '^#' "$build/native.txt" | head -n1)"
echo "== wasm:   $(grep '^#' "$build/wasm.txt" | head -n1)"
printf '%-12s %16s %16s %10s\n' "" native wasm "|diff|"
paste <(grep -v '^#' "$build/native.txt") <(grep -v '^#' "$build/wasm.txt") | awk '
  { if ($1 != $3) { printf "line mismatch: %s vs %s\n", $1, $3; bad = 1; next }
    d = $2 - $4; if (d < 0) d = -d
    m = $2 < 0 ? -$2 : $2; if (m < 1) m = 1
    ok = d <= 1e-5 * m
    printf "%-12s %16s %16s %10.3g %s\n", $1, $2, $4, d, ok ? "" : "MISMATCH"
    if (!ok) bad = 1; n++ }
  END { if (n < 10) { print "too few values compared"; bad = 1 }; exit bad }' || status=1

if [ $status -eq 0 ]; then echo "PASS: wasm matches native within 1e-5 relative"; else echo "FAIL"; fi
exit $status
