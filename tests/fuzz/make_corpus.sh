#!/usr/bin/env bash
# Regenerates the committed seed corpus tests/fuzz/corpus/ from make_corpus.cpp.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/build/fuzz
mkdir -p "$out"
# The core from the native build when there is one (saves compiling it again), else its sources.
core=("$root"/shared/src/*.cpp)
[ -f "$root/build/native/shared/libganzoo_core.a" ] && core=("$root/build/native/shared/libganzoo_core.a")
"${CXX:-c++}" -std=c++17 -O1 -I"$root/shared/include" -I"$root/tests/core" -isystem /usr/include/eigen3 \
  -isystem /usr/include/stb "$root/tests/fuzz/make_corpus.cpp" "${core[@]}" -lz -o "$out/make_corpus"
rm -rf "$root/tests/fuzz/corpus"
"$out/make_corpus" "$root/tests/fuzz/corpus"
