#!/usr/bin/env bash
# Builds the trainer (and the parity test) on a bare CUDA machine against the LibTorch inside
# its PyTorch (torch.utils.cmake_prefix_path), with the headers carried in DEPS
# (scripts/prepare-gpu-deps.sh). Used by scripts/gpu-check.sh and scripts/gpu-zoo.sh.
#   usage: scripts/gpu-build.sh DEPS LOGDIR [cuda|cpu]
# cpu: the rehearsal here, against Debian's LibTorch with the same carried headers.
# Prints the configuration it found and the build time; the logs go to LOGDIR.
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^[^#]/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0; }
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
deps=$(realpath "$1")
logs=$(mkdir -p "$2" && realpath "$2")
device=${3:-cuda}
python=${PYTHON:-python3}
[ -f "$deps/include/Eigen/Core" ] || { echo "gpu-build: no headers in $deps: run scripts/prepare-gpu-deps.sh first" >&2; exit 1; }
[[ $device == cuda || $device == cpu ]] || { echo "gpu-build: device must be cuda or cpu, not '$device'" >&2; exit 2; }

export GANZOO_HEADER_DIR=$deps/include
extra=(-DZLIB_ROOT="$deps")
if [ "$device" = cpu ]; then
  export GANZOO_TORCH_PREFIX=${GANZOO_TORCH_PREFIX:-}
  extra+=(-DGANZOO_CUDA=OFF)
else
  export GANZOO_TORCH_PREFIX=${GANZOO_TORCH_PREFIX:-$("$python" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')}
  extra+=(-DCUDAToolkit_ROOT="$(dirname "$(dirname "$(command -v nvcc)")")")
fi
generator=(); command -v ninja >/dev/null && generator=(-G Ninja)
start=$(date +%s)
cmake --preset cuda "${generator[@]}" "${extra[@]}" >"$logs/configure.log" 2>&1 \
  || { tail -30 "$logs/configure.log"; exit 1; }
grep -E "^(GANZOO_.*INCLUDE_DIR|ZLIB_INCLUDE_DIR|ZLIB_LIBRARY_RELEASE):" build/cuda/CMakeCache.txt | sed 's/^/  /'
keep_going=(-k); [ ${#generator[@]} -gt 0 ] && keep_going=(-k 0)   # list every compile error at once
build() { cmake --build build/cuda -j "$(nproc)" --target ganzoo test_parity -- "${keep_going[@]}" >"$logs/build.log" 2>&1; }
if ! build; then
  grep -E -A3 "error|Error" "$logs/build.log" | head -80
  # Data parallelism (native/dist) builds against c10d's Gloo/NCCL headers, whose API moves between
  # LibTorch releases. When the full build fails, build once more without the process groups (the
  # single-process trainer does not use them), so that a lend still trains; the failed log is kept.
  grep -q "dist/data_parallel" "$logs/build.log" || exit 1
  mv "$logs/build.log" "$logs/build-with-groups.log"
  echo "gpu-build: the build with c10d's process groups failed (errors above, $logs/build-with-groups.log);" \
       "building again without them (-DGANZOO_GLOO=OFF -DGANZOO_NCCL=OFF)"
  cmake --preset cuda "${generator[@]}" "${extra[@]}" -DGANZOO_GLOO=OFF -DGANZOO_NCCL=OFF >>"$logs/configure.log" 2>&1 \
    || { tail -30 "$logs/configure.log"; exit 1; }
  build || { grep -E -A3 "error|Error" "$logs/build.log" | head -80; exit 1; }
fi
echo "built in $(( $(date +%s) - start )) s"
