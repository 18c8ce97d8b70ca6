#!/usr/bin/env bash
# Data-parallel throughput (docs/distributed.md): `ganzoo train` as 1 process and as N ranks
# (`ganzoo launch -n N`, Gloo on this machine's loopback), same per-rank batch and the same
# total number of CPU threads. Prints images/s for 1 process (all threads), for 1 process with
# one rank's share of the threads, and for the N ranks; the gradient all-reduce time and bytes
# per step (inside training, and from a back-to-back probe after a barrier); the ring model's
# prediction for these ranks against the measurement, and for 8 GPUs from the same bytes.
# A benchmark that prints, never a timed test (`make bench-dist`; not part of `make test`).
#
#   scripts/bench-dist.sh [--bin PATH] [--model dcgan] [--steps 40] [--batch 64] [--width 64]
#                         [--ranks 2] [--threads N] [--limit 20000] [--gpu-step-ms 6.0]
#                         [--busbw-gbs 350] [--hop-us 10]
# --threads N      threads in all (default: nproc): the single process gets N, each rank N/ranks
# --gpu-step-ms    compute time of one step on one GPU, for the 8-GPU prediction (default: 6.0,
#                  DCGAN at batch 128 on an H200, docs/gpu.md)
# --busbw-gbs      NCCL all-reduce bus bandwidth of the 8-GPU machine, GB/s (default 350: H100
#                  SXM with NVLink/NVSwitch, a conservative figure for large messages)
# --hop-us         latency of one ring hop, microseconds (default 2, NVLink)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
usage() { sed -n '2,19s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
die() { echo "bench-dist: $*" >&2; exit 1; }

bin=${GANZOO_BIN:-$repo/build/native/bin/ganzoo}
model=dcgan steps=40 batch=64 width=64 ranks=2 threads=$(nproc) limit=20000
gpu_step_ms=6.0 busbw=350 hop_us=2
while (($#)); do
  case $1 in
    --bin) bin=${2:?}; shift 2 ;;
    --model) model=${2:?}; shift 2 ;;
    --steps) steps=${2:?}; shift 2 ;;
    --batch) batch=${2:?}; shift 2 ;;
    --width) width=${2:?}; shift 2 ;;
    --ranks) ranks=${2:?}; shift 2 ;;
    --threads) threads=${2:?}; shift 2 ;;
    --limit) limit=${2:?}; shift 2 ;;
    --gpu-step-ms) gpu_step_ms=${2:?}; shift 2 ;;
    --busbw-gbs) busbw=${2:?}; shift 2 ;;
    --hop-us) hop_us=${2:?}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
[ -x "$bin" ] || die "$bin is not an executable (build first: make build)"
(( ranks >= 2 )) || die "--ranks must be at least 2"
per_rank_threads=$(( threads / ranks )); (( per_rank_threads >= 1 )) || per_rank_threads=1
work=$(mktemp -d "${TMPDIR:-/tmp}/ganzoo-bench-dist.XXXXXX")
trap 'rm -rf "$work"' EXIT
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

field() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get(sys.argv[2], 0))' "$1" "$2"; }
common=(train "$model" --steps "$steps" --batch "$batch" --width "$width" --limit "$limit" --device cpu --seed 1 --log-every 1000000)

echo "bench-dist: $model, width $width, batch $batch per process, $steps steps, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin" "${common[@]}" --threads "$threads" --out "$work/one" >"$work/one.log" 2>&1 || { cat "$work/one.log"; die "the single process failed"; }
one=$(field "$work/one/summary.json" images_per_s)
"$bin" "${common[@]}" --threads "$per_rank_threads" --out "$work/one-small" >"$work/one-small.log" 2>&1 || { cat "$work/one-small.log"; die "the single process failed"; }
one_small=$(field "$work/one-small/summary.json" images_per_s)
"$bin" launch -n "$ranks" "${common[@]}" --threads "$per_rank_threads" --fault allreduce-probe:20 --out "$work/dist" >"$work/dist.log" 2>&1 \
  || { cat "$work/dist.log"; die "the $ranks-rank run failed"; }
many=$(field "$work/dist/summary.json" images_per_s)
ar_ms=$(field "$work/dist/summary.json" allreduce_ms_per_step)
bytes=$(field "$work/dist/summary.json" gradient_bytes_per_step)
probe_ms=$(field "$work/dist/summary.json" allreduce_probe_ms)
probe_bytes=$(field "$work/dist/summary.json" allreduce_probe_bytes)

/usr/bin/python3 - "$one" "$many" "$ar_ms" "$bytes" "$ranks" "$threads" "$per_rank_threads" "$batch" "$gpu_step_ms" "$busbw" "$hop_us" "$one_small" "$probe_ms" "$probe_bytes" <<'PY'
import sys
one, many, ar_ms, grad_bytes = (float(x) for x in sys.argv[1:5])
ranks, threads, per_rank, batch = (int(x) for x in sys.argv[5:9])
gpu_step_ms, busbw, hop_us = (float(x) for x in sys.argv[9:12])
one_small, probe_ms, probe_bytes = (float(x) for x in sys.argv[12:15])
print(f"1 process  ({threads} threads, batch {batch}): {one:8.1f} images/s")
print(f"1 process  ({per_rank} thread(s), batch {batch}): {one_small:8.1f} images/s  (one rank's share of the cores)")
print(f"{ranks} ranks    ({per_rank} thread(s) each, batch {batch} each = {batch*ranks} global, Gloo): {many:8.1f} images/s"
      f"  (x{many/one:.2f})")
print(f"gradient all-reduce: {ar_ms:.2f} ms/step for {grad_bytes/1e6:.2f} MB/step per rank "
      f"(inside the training step, including any wait for the slower rank)")
print(f"all-reduce probe: {probe_ms:.2f} ms for {probe_bytes/1e6:.2f} MB (all parameters, back to back after a barrier): "
      f"{probe_bytes/max(probe_ms,1e-9)/1e6:.3f} GB/s algorithm bandwidth")
# The same model on this machine: each rank computes at the one-rank-share rate, then all-reduces.
t_c = batch / one_small * 1e3
t_ar_here = probe_ms * grad_bytes / max(probe_bytes, 1)
pred = ranks * batch / ((t_c + t_ar_here) / 1e3)
print(f"model for these {ranks} ranks: {t_c:.1f} ms compute + {t_ar_here:.1f} ms all-reduce per step "
      f"-> {pred:.1f} images/s predicted, {many:.1f} measured")
# Ring all-reduce: each rank sends and receives 2(N-1)/N of the bytes, in 2(N-1) hops; no
# overlap with the backward pass (ganzoo reduces after backward, before the optimizer step).
n = 8
print(f"8-GPU prediction from {grad_bytes/1e6:.2f} MB of gradients per step and {gpu_step_ms:.1f} ms of compute per step "
      f"(per-GPU batch unchanged; t_ar = 2(N-1)/N * bytes / busbw + 2(N-1) * hop):")
scenarios = [("one node, NVLink/NVSwitch", busbw, hop_us),
             ("one node, PCIe, no NVLink", 20.0, 5.0),
             ("8 nodes x 1 GPU, 100 Gb/s Ethernet", 11.0, 15.0)]
for name, bw, hop in scenarios:
    t_ar = 2 * (n - 1) / n * grad_bytes / (bw * 1e9) * 1e3 + 2 * (n - 1) * hop / 1e3
    eff = gpu_step_ms / (gpu_step_ms + t_ar)
    print(f"  {name:36s} {bw:6.1f} GB/s, {hop:4.1f} us/hop: all-reduce {t_ar:6.3f} ms/step, "
          f"efficiency {eff:.3f}, speed-up x{n*eff:.2f}")
PY
