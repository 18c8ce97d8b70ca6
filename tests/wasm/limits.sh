#!/usr/bin/env bash
# The load limits through the wasm API (a hostile file is refused before what it claims is
# allocated): builds the core (shared/src/*.cpp) and the web page's C API (wasm/bindings.cpp:
# gz_load, gz_error ...) with em++ for node, plus tests/wasm/alloc_probe.cpp (counts operator
# new), then runs tests/wasm/limits.mjs, which feeds crafted files through gz_load the way
# web/ganzoo-worker.js does and checks that each is refused with its message, without the wasm
# memory growing and without a large allocation.
#
# usage: tests/wasm/limits.sh --eigen DIR --json DIR --model FILE [--build DIR]
#   --eigen/--json  include folders of Eigen 3.4 and nlohmann/json (CMake passes its own)
#   --model         a valid ganzoo .safetensors file (CMake: the DCGAN-shaped test model)
#   --build         folder for the objects and outputs (default: a fresh temp folder)
# JOBS=N compile jobs (default 2). Exit status: 0 pass, 1 fail, 77 em++ not on PATH (skipped).
set -euo pipefail

eigen="" json="" model="" build=""
while [ $# -gt 0 ]; do
  case "$1" in
    --eigen) eigen="$2"; shift 2 ;;
    --json) json="$2"; shift 2 ;;
    --model) model="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    *) echo "limits.sh: unknown argument $1" >&2; exit 1 ;;
  esac
done
if [ -z "$eigen" ] || [ -z "$json" ] || [ -z "$model" ]; then
  echo "usage: $0 --eigen DIR --json DIR --model FILE [--build DIR]" >&2
  exit 1
fi
if ! command -v em++ >/dev/null 2>&1; then
  echo "SKIP: em++ is not on PATH (install Debian's emscripten to run the wasm limit test)"
  exit 77
fi

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
[ -n "$build" ] || build="$(mktemp -d -t ganzoo-wasm-limits.XXXXXX)"
mkdir -p "$build/obj" "$build/include"
# emcc's optimizing link needs acorn from Debian's node modules (docs/toolchain.md).
export NODE_PATH=/usr/share/nodejs
# Only Eigen/ and nlohmann/ go on em++'s include path: /usr/include's glibc headers would shadow
# emscripten's own libc.
ln -sfn "$eigen/Eigen" "$build/include/Eigen"
ln -sfn "$json/nlohmann" "$build/include/nlohmann"
cxxflags=(-std=c++17 -O2 -msimd128 -fexceptions -DNDEBUG -Wall -Wextra
          -I"$root/shared/include" -I"$root/shared/src" -isystem "$build/include")
sources=("$root"/shared/src/*.cpp "$root/wasm/bindings.cpp" "$here/alloc_probe.cpp")

echo "== em++ $(em++ --version 2>/dev/null | sed -n "1s/.*) //p") -> $build"
start=$(date +%s)
# Everything is compiled again when any source or header changed since the last build (JOBS at
# a time): the core takes a few minutes under em++.
stamp="$build/obj/.built"
if [ ! -f "$stamp" ] || [ -n "$(find "$root/shared" "$root/wasm" "$here/alloc_probe.cpp" -newer "$stamp" -type f | head -n 1)" ]; then
  rm -f "$stamp" "$build"/obj/*.o
  printf '%s\n' "${sources[@]}" | xargs -P "${JOBS:-2}" -I{} sh -c \
    'src="$1"; shift; em++ "$@" -c "$src" -o "'"$build"'/obj/$(basename "$src" .cpp).o"' _ {} "${cxxflags[@]}" \
    || { echo "FAIL: em++ compile failed"; exit 1; }
  touch "$stamp"
fi
# The same memory settings as the web build (wasm/CMakeLists.txt), for node instead of a worker.
em++ -O2 -msimd128 -fexceptions -sALLOW_MEMORY_GROWTH=1 -sMODULARIZE=1 -sEXPORT_NAME=createGanzooCore \
  -sENVIRONMENT=node -sFILESYSTEM=0 "-sEXPORTED_FUNCTIONS=['_malloc','_free']" \
  "-sEXPORTED_RUNTIME_METHODS=['cwrap','HEAPU8']" \
  "$build"/obj/*.o -o "$build/ganzoo_limits.js" || { echo "FAIL: em++ link failed"; exit 1; }
echo "   built in $(( $(date +%s) - start )) s"

node --no-experimental-fetch "$here/limits.mjs" "$build/ganzoo_limits.js" "$model"
