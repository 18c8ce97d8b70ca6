#!/usr/bin/env bash
# The whole zoo on one lent GPU, in one go (docs/gpu.md, "The zoo on one card"):
#   1. builds `ganzoo` against the machine's LibTorch (scripts/gpu-build.sh, headers and data
#      carried in DEPS by scripts/prepare-gpu-deps.sh);
#   2. measures DCGAN training on the card, C++ against the Python reference
#      (tests/bench/train_throughput --device cuda, same batch and width), before anything else
#      shares the card;
#   3. trains all nine members side by side at the papers' widths (the members' CUDA defaults),
#      each stopped at SECONDS if it has not finished (SIGTERM: a checkpoint, then the export);
#   4. exports each (the averaged generator, and the live one with `--raw` where the run
#      averages), verifies and samples it;
#   5. evaluates every export there (`ganzoo eval`, all cores) and writes OUT/zoo.json: the card,
#      each run's command, steps, images/s, wall time, and FD/SWD of the averaged and live G;
#   6. packs what comes back into at most 8 files (the lend's limit): zoo.json and a tar.gz in
#      15 MiB parts (no checkpoints). Unpack here: cat OUT/zoo.tar.gz.part* | tar -xz
#   usage: scripts/gpu-zoo.sh [DEPS] [OUT] [SECONDS]      (defaults .deps, gpu-zoo-out, 420)
# GANZOO_ZOO_DEADLINE=S: everything must be packed S seconds after the start (a lend's command
#   limit): the runs get min(SECONDS, what is left after the build and the bench, less 150 s for
#   the exports, eval and packing), and eval is left for here when under 100 s remain.
# GANZOO_ZOO_EVAL=0: no eval there (a lend's minutes are dearer than this machine's: ten exports
#   take ~100 s on 16 cores); evaluate the unpacked files here with `ganzoo eval FILE --json`.
# On CUDA the runs share the card through MPS (nvidia-cuda-mps-control) when it starts and a
#   CUDA op passes under it within 30 s; else by time-slicing, as before. GANZOO_ZOO_MPS=0: never.
# Back here: cd runs/gpu-zoo && cat OUT/zoo.tar.gz.part* | tar -xz, then ship a member with
#   node scripts/ship.mjs runs/gpu-zoo/runs/NAME --file runs/gpu-zoo/runs/NAME.safetensors
# Rehearsal on a CPU machine, tiny lengths, the same steps end to end (in runs/gpu-zoo-rehearsal,
#   so that a lend's runs unpacked in runs/gpu-zoo stay):
#   GANZOO_ZOO_DEVICE=cpu scripts/gpu-zoo.sh .deps /tmp/zoo 120
# GANZOO_ZOO_ONLY=NAME[,NAME...]: only these recipes (e.g. wgan,progan: the members still below
#   their target get the card to themselves; DCGAN drew twice the images/s alone as among ten).
# GANZOO_BIN=PATH skips the build (a ganzoo built already); PYTHON names the python with torch.
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^[^#]/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0; }
set -uo pipefail
cd "$(dirname "$0")/.."
deps=$(realpath "${1:-.deps}")
out=$(mkdir -p "${2:-gpu-zoo-out}" && realpath "${2:-gpu-zoo-out}")
# Everything but what comes back (OUT holds 8 files at most), inside the repository so that each
# run's recorded command (--data, --out) is the one `make train-MEMBER` can re-run from its root.
seconds=${3:-420}
deadline=${GANZOO_ZOO_DEADLINE:-0}
device=${GANZOO_ZOO_DEVICE:-cuda}
# It starts empty. A rehearsal works apart, so that it never wipes a lend's runs unpacked here.
work=${GANZOO_ZOO_WORK:-runs/gpu-zoo}
[ "$device" = cpu ] && work=${GANZOO_ZOO_WORK:-runs/gpu-zoo-rehearsal}
python=${PYTHON:-python3}
die() { echo "gpu-zoo: $*" >&2; exit 2; }
[[ $seconds =~ ^[0-9]+$ ]] || die "SECONDS must be a whole number, not '$seconds'"
[[ $deadline =~ ^[0-9]+$ ]] || die "GANZOO_ZOO_DEADLINE must be a whole number, not '$deadline'"
[[ $device == cuda || $device == cpu ]] || die "GANZOO_ZOO_DEVICE must be cuda or cpu, not '$device'"
[ -f "$deps/include/Eigen/Core" ] || die "no headers in $deps: run scripts/prepare-gpu-deps.sh first"
[ -f "$deps/fashion-mnist/train-images-idx3-ubyte.gz" ] || die "no Fashion-MNIST in $deps/fashion-mnist"
data="fashion-mnist:$(realpath --relative-base="$PWD" "$deps/fashion-mnist")"
start=$(date +%s)

# The recipes: NAME=MODEL options. Lengths are the papers' or more; SECONDS stops what has not
# finished. Widths are each member's CUDA default (the paper's) where the export stays within the
# repository's 8 MB per file: ProGAN at its CUDA default, width 32 (128, 128, 64, 32 maps; width 64
# exported 17.2 MiB with its stage copies on 2026-12-04), InfoGAN without the two FC-1024 layers
# (27 MB with them; docs/members/infogan.md). `ema` is on wherever averaging is an option, so one
# run gives both the averaged and the live generator (the ablation of docs/averaging.md).
recipes=(
  "dcgan=dcgan --epochs 30 --set ema=0.999"
  # As the shipped CPU recipe (docs/members/improved-dcgan.md) and the paper's CIFAR-10 minibatch
  # discrimination code: feature matching off (with it on, the 2026-12-04 lend's run drew FD 26.4),
  # batch norm in G and no historical averaging (virtual batch norm held the 7-pixel SWD near 50).
  "improved-dcgan=improved-dcgan --epochs 30 --set ema=0.999 --set feature_matching=false --set generator_norm=batch --set history_weight=0"
  # Semi-supervised, as the paper's MNIST code: its D (dense 1000-500-250-250-250, weight norm
  # with θ ~ N(0, 0.1), only the output layer's scale trained, the init through the noise,
  # Gaussian noise), its loss weights and rate, the average of D it tests, and its length of 300
  # epochs, which only a GPU reaches (docs/members/improved-dcgan.md: 15 epochs on the CPU).
  "improved-dcgan-ssl100=improved-dcgan --labels 100 --epochs 300 --set minibatch_kernels=0 --set d_network=mlp --set d_weight_norm=true --set d_weight_norm_init=data_noise --set d_weight_norm_v_std=0.1 --set d_weight_norm_train_g=output --set unsupervised_weight=0.5 --set d_average=0.9999 --set d_input_noise=0.6 --set d_noise=0.5 --set real_label=1 --set history_weight=0 --set lr=0.003 --set generator_norm=batch"
  "wgan=wgan --epochs 200 --set ema=0.999"
  "wgan-gp=wgan-gp --epochs 100 --set ema=0.999"
  # The paper's γ = 0.5 and λ_k = 0.001 at its width n = 64, with EBGAN's pulling-away term, the
  # untried combination of docs/members/began.md ("Next, to meet the issue's bar").
  "began=began --epochs 27 --set ema=0.999 --set pull_away=0.1"  # 100,000 steps of 16
  "cgan=cgan --epochs 30 --set ema=0.999"
  "infogan=infogan --epochs 30 --set ema=0.999 --set g_hidden=0 --set d_hidden=128"
  # Phases of 38,400 images (the CUDA default's 102,400 would not finish growing in a lend's
  # minutes with ten runs sharing the card): 32×32 after 268,800 images, 4,200 steps of 64.
  "progan=progan --epochs 60 --set fade_images=38400 --set stabilize_images=38400"
  "cyclegan=cyclegan --epochs 50 --set ema=0.999"
)
if [ -n "${GANZOO_ZOO_ONLY:-}" ]; then
  kept=()
  IFS=, read -ra only <<<"$GANZOO_ZOO_ONLY"
  for name in "${only[@]}"; do
    found=0
    for recipe in "${recipes[@]}"; do [ "${recipe%%=*}" = "$name" ] && { kept+=("$recipe"); found=1; }; done
    [ $found = 1 ] || die "GANZOO_ZOO_ONLY: no recipe '$name' (have: $(for r in "${recipes[@]}"; do printf '%s ' "${r%%=*}"; done))"
  done
  recipes=("${kept[@]}")
fi
# Every check is made: only now is the work folder emptied.
rm -rf "$work" && mkdir -p "$work" || die "cannot make $work"
bench=(--steps 300 --batch 128 --width 128 --repeat 2)
tiny=()
if [ "$device" = cpu ]; then  # the rehearsal: the same steps, tiny lengths
  tiny=(--steps 12 --limit 512)
  bench=(--steps 8 --batch 32 --width 16)
fi

{
  echo "== machine"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "nvidia-smi: not available"
  "$python" -c 'import torch; print("torch", torch.__version__, "| CUDA", torch.version.cuda, "|", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA device")' \
    || echo "$python: no torch module"
  echo "cpus: $(nproc)"
} 2>&1 | tee "$work/machine.txt"

ganzoo=${GANZOO_BIN:-}
if [ -z "$ganzoo" ]; then
  echo "== build (device $device)"
  PYTHON=$python scripts/gpu-build.sh "$deps" "$work" "$device" || die "the build failed (logs in $work)"
  ganzoo=build/cuda/bin/ganzoo
fi
[ -x "$ganzoo" ] || die "$ganzoo is not an executable"

echo "== DCGAN on $device: C++ against the Python reference"
GANZOO_PYTHON=$(command -v "$python") tests/bench/train_throughput --bin "$ganzoo" --device "$device" \
  --threads 4 --data "$deps/fashion-mnist" "${bench[@]}" 2>"$work/bench.log" | tee "$work/bench.txt" \
  || echo "gpu-zoo: the benchmark failed (see $work/bench.log); training goes on"

mps=none
if [ "$device" = cuda ] && [ "${GANZOO_ZOO_MPS:-1}" = 1 ] && command -v nvidia-cuda-mps-control >/dev/null; then
  export CUDA_MPS_PIPE_DIRECTORY=/tmp/ganzoo-mps CUDA_MPS_LOG_DIRECTORY=/tmp/ganzoo-mps-log
  mkdir -p "$CUDA_MPS_PIPE_DIRECTORY" "$CUDA_MPS_LOG_DIRECTORY"
  if nvidia-cuda-mps-control -d 2>"$work/mps.log" &&
     timeout 30 "$python" -c 'import torch; print(float((torch.ones(4, device="cuda") * 2).sum()))' >>"$work/mps.log" 2>&1; then
    mps=on
  else
    echo quit | timeout 10 nvidia-cuda-mps-control >/dev/null 2>&1
    unset CUDA_MPS_PIPE_DIRECTORY CUDA_MPS_LOG_DIRECTORY
    mps="failed to start (see mps.log); time-slicing"
  fi
fi
echo "MPS: $mps" | tee -a "$work/machine.txt"

evaluate=${GANZOO_ZOO_EVAL:-1}
reserve=150; [ "$evaluate" = 1 ] || reserve=80
if [ "$deadline" -gt 0 ]; then
  left=$(( deadline - ($(date +%s) - start) - reserve ))
  if [ "$left" -lt "$seconds" ]; then
    [ "$left" -ge 30 ] || die "GANZOO_ZOO_DEADLINE leaves $left s for the runs"
    seconds=$left
  fi
fi
echo "== the zoo: ${#recipes[@]} runs side by side, at most $seconds s each"
specs=()
for recipe in "${recipes[@]}"; do
  specs+=("$recipe --seed 1 --threads 1 --device $device --data $data ${tiny[*]}")
done
scripts/gpu-runs.sh "$ganzoo" "$work/runs" "$seconds" "${specs[@]}" | tee "$work/runs.txt"
runs_rc=${PIPESTATUS[0]}

echo "== the live generators (export --raw) where a run averages"
for recipe in "${recipes[@]}"; do
  name=${recipe%%=*}
  run=$work/runs/$name
  grep -Eq '"ema": (0\.[0-9]*[1-9]|1)' "$run/config.json" 2>/dev/null || continue
  { "$ganzoo" export "$run" --raw -o "$work/runs/$name-raw.safetensors" >>"$work/runs/$name.log" 2>&1 \
      && echo "$name: $name-raw.safetensors" || echo "$name: export --raw failed (see runs/$name.log)"; } &
done
wait  # side by side: each export spends seconds loading LibTorch's CUDA libraries

[ "$mps" = on ] && { echo quit | timeout 10 nvidia-cuda-mps-control >/dev/null 2>&1; unset CUDA_MPS_PIPE_DIRECTORY CUDA_MPS_LOG_DIRECTORY; }
if [ "$evaluate" != 1 ]; then
  echo "== eval left for later (GANZOO_ZOO_EVAL=0): ganzoo eval FILE --json, here"
elif [ "$deadline" -gt 0 ] && [ $(( deadline - ($(date +%s) - start) )) -lt 100 ]; then
  echo "== eval left for later: under 100 s to the deadline (ganzoo eval FILE --json, here)"
else
  echo "== eval (FD-FMNIST, SWD, the member's own metrics), every export, $(nproc) at a time"
  ls "$work"/runs/*.safetensors | xargs -P "$(nproc)" -I{} sh -c \
    '"$1" eval "$2" --json --data "$3" ${4:+-n $4} >"${2%.safetensors}.eval.json" 2>/dev/null || echo "eval failed: $2"' \
    _ "$ganzoo" {} "$data" "${GANZOO_ZOO_EVAL_N:-}"
fi

"$python" - "$work" "$device" "$seconds" "$(( $(date +%s) - start ))" "${recipes[@]}" <<'PY'
import json, os, sys
out, device, seconds, wall, recipes = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
runs_dir = os.path.join(out, "runs")
def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None
KEEP = ("fd_fmnist", "swd_average", "class_histogram", "class_accuracy", "q_cluster_accuracy", "ssl_d_accuracy",
        "ssl_baseline_accuracy", "target_fraction_ab", "target_fraction_ba", "cycle_l1_a", "cycle_l1_b")
runs = []
for recipe in recipes:
    name, args = recipe.split("=", 1)
    summary = load(os.path.join(runs_dir, name, "summary.json")) or {}
    config = load(os.path.join(runs_dir, name, "config.json")) or {}
    entry = {"name": name, "recipe": args, "command": config.get("command")}
    entry.update({k: summary.get(k) for k in ("steps", "epochs", "images_per_s", "wall_s", "device")})
    for kind, suffix in (("averaged", ""), ("live", "-raw")):
        e = load(os.path.join(runs_dir, f"{name}{suffix}.eval.json"))
        if e is not None:
            entry[f"eval_{kind}"] = {k: e[k] for k in KEEP if k in e}
    runs.append(entry)
machine = open(os.path.join(out, "machine.txt")).read().strip().splitlines()
json.dump({"device": device, "machine": machine, "seconds_per_run": seconds, "wall_s": wall, "runs": runs},
          open(os.path.join(out, "zoo.json"), "w"), indent=2)
for r in runs:
    a, l = r.get("eval_averaged", {}), r.get("eval_live", {})
    f = lambda d, k: f"{d[k]:.2f}" if isinstance(d.get(k), (int, float)) else "-"
    print(f"{r['name']:22} steps {r['steps']}  FD avg {f(a, 'fd_fmnist')} live {f(l, 'fd_fmnist')}  SWD avg {f(a, 'swd_average')} live {f(l, 'swd_average')}")
PY

# What comes back must fit the lend's rules: at most 8 files of 16 MiB, 64 MiB in all, of which
# the caller's own log takes some. So: no checkpoints (large; the run can be redone from its
# command); of each run's per-epoch grids, the five the timeline of docs/RESULTS.md shows
# (scripts/results.mjs, pickEpochs); everything else in one tar.gz, the exports first (a part
# lost at the end costs logs, not models), split into 15 MiB parts beside zoo.json. Over 56 MiB,
# the live exports that eval found worse than the averaged ones stay behind first; then the
# largest live exports, until it fits. (2026-12-04: 30 epochs of grids per run took 20 MB, and a
# 64 MiB pack lost its last part and the export in it.)
rm -rf "$work"/runs/*/checkpoints
"$python" - "$work" <<'PY'
import os, sys
for run in sorted(os.listdir(os.path.join(sys.argv[1], "runs"))):
    samples = os.path.join(sys.argv[1], "runs", run, "samples")
    if not os.path.isdir(samples):
        continue
    grids = sorted(f for f in os.listdir(samples) if f.startswith("epoch_") and f.endswith(".png"))
    keep = set(grids) if len(grids) <= 5 else {grids[round(i * (len(grids) - 1) / 4)] for i in range(5)}
    for f in set(grids) - keep:
        os.remove(os.path.join(samples, f))
PY
cp "$work/zoo.json" "$out/zoo.json"
rm -f "$out"/zoo.tar.gz*
pack() {
  (cd "$work" && { ls runs/*.safetensors 2>/dev/null; find . -type f ! -name '*.safetensors' ! -name '*.safetensors.tmp' | sed 's|^\./||'; } \
     | tar -czf "$out/zoo.tar.gz" -T -)
}
pack
if [ "$(stat -c %s "$out/zoo.tar.gz")" -gt $((56 << 20)) ]; then
  "$python" - "$work" "$out/zoo.tar.gz" <<'PY'
import json, os, sys
work, packed = sys.argv[1], sys.argv[2]
raw = lambda name: os.path.join(work, "runs", name + "-raw.safetensors")
runs = json.load(open(os.path.join(work, "zoo.json")))["runs"]
for r in runs:
    a, l = r.get("eval_averaged", {}).get("fd_fmnist"), r.get("eval_live", {}).get("fd_fmnist")
    if a is not None and l is not None and l >= a and os.path.exists(raw(r["name"])):
        os.remove(raw(r["name"]))
        print(f"gpu-zoo: left {r['name']}-raw.safetensors behind (FD {l:.2f} >= {a:.2f} averaged)")
# Exports hardly compress: the pack is about the files' total less what the logs and grids save.
over = os.path.getsize(packed) - (56 << 20)
for size, name in sorted(((os.path.getsize(raw(r["name"])), r["name"]) for r in runs if os.path.exists(raw(r["name"]))), reverse=True):
    if over <= 0:
        break
    os.remove(raw(name))
    over -= size
    print(f"gpu-zoo: left {name}-raw.safetensors behind ({size / 2**20:.1f} MiB; the pack was over 56 MiB)")
PY
  pack
  [ "$(stat -c %s "$out/zoo.tar.gz")" -le $((60 << 20)) ] \
    || echo "gpu-zoo: the pack is still $(( $(stat -c %s "$out/zoo.tar.gz") >> 20 )) MiB: its last part may not come back" >&2
fi
split -b 15M -d -a 1 "$out/zoo.tar.gz" "$out/zoo.tar.gz.part"
rm -f "$out/zoo.tar.gz"
parts=$(ls "$out"/zoo.tar.gz.part* | wc -l)
[ "$parts" -le 7 ] || echo "gpu-zoo: $parts parts: more than the 7 that come back beside zoo.json" >&2
echo "gpu-zoo: $(( $(date +%s) - start )) s; $out holds zoo.json and $parts parts (cat zoo.tar.gz.part* | tar -xz); the rest stays in $work"
exit "$runs_rc"
