#!/usr/bin/env bash
# GPU readiness check, for a bare CUDA machine: PyTorch with CUDA, CMake and nvcc installed,
# no package manager, no network. Builds the trainer and the parity test against the
# LibTorch inside that PyTorch (torch.utils.cmake_prefix_path) from the headers carried in
# DEPS (scripts/prepare-gpu-deps.sh), runs the parity test, trains DCGAN for one epoch on
# CUDA, exports, verifies and samples through the core, and prints images/s.
#   usage: scripts/gpu-check.sh [DEPS] [OUT]      (defaults: .deps, gpu-check-out)
# A rehearsal on a CPU machine (Debian's LibTorch, same script, same carried headers):
#   GANZOO_CHECK_DEVICE=cpu GANZOO_CHECK_LIMIT=2000 scripts/gpu-check.sh
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^[^#]/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0; }
set -euo pipefail
cd "$(dirname "$0")/.."
deps=$(realpath "${1:-.deps}")
out=$(mkdir -p "${2:-gpu-check-out}" && realpath "${2:-gpu-check-out}")
python=${PYTHON:-python3}
export PYTHON=$python
device=${GANZOO_CHECK_DEVICE:-cuda}
limit=${GANZOO_CHECK_LIMIT:-0}
[ -f "$deps/include/Eigen/Core" ] || { echo "gpu-check: no headers in $deps: run scripts/prepare-gpu-deps.sh first" >&2; exit 1; }

echo "== machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "nvidia-smi: not available"
"$python" -c 'import torch; print("torch", torch.__version__, "| CUDA", torch.version.cuda, "|", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA device")' \
  || echo "$python: no torch module"
echo "cpus: $(nproc)"

echo "== build (cuda preset, device $device)"
scripts/gpu-build.sh "$deps" "$out" "$device"
ganzoo=build/cuda/bin/ganzoo

echo "== parity: this LibTorch vs the core"
build/cuda/tests/native/test_parity | grep -E "parity|passed|failed"

echo "== train DCGAN one epoch on $device"
rm -rf "$out/run"
"$ganzoo" train dcgan --epochs 1 --device "$device" --limit "$limit" --data "fashion-mnist:$deps/fashion-mnist" \
  --out "$out/run" --log-every 100
"$ganzoo" export "$out/run" -o "$out/dcgan-$device.safetensors"
"$ganzoo" verify "$out/dcgan-$device.safetensors"
"$ganzoo" sample "$out/dcgan-$device.safetensors" --seed 7 -n 64 -o "$out/dcgan-$device-grid.png"
cp "$out/run/summary.json" "$out/summary.json"

# Data parallelism through c10d (docs/distributed.md): two ranks on the one card over Gloo (NCCL
# wants a GPU per rank). Reported, not fatal: Gloo is compiled in only where LibTorch ships its headers.
echo "== data-parallel: ganzoo launch -n 2 (Gloo) on $device"
rm -rf "$out/run-dist"
"$ganzoo" launch -n 2 train dcgan --steps 40 --device "$device" --dist-backend gloo --limit "$limit" \
  --data "fashion-mnist:$deps/fashion-mnist" --out "$out/run-dist" --log-every 20 \
  || echo "data-parallel: FAILED (the lines above say why)"
echo "== summary"
cat "$out/summary.json"
