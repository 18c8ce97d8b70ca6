#!/usr/bin/env bash
# Trains several configurations side by side, each for at most SECONDS, then exports, verifies
# and samples each one. Meant for a short lease on a GPU machine (after scripts/gpu-check.sh has
# built build/cuda), where one card is shared by time-slicing, but it runs anywhere.
# A run stopped by its time limit gets SIGTERM, writes a checkpoint and can be continued with
# `ganzoo train MODEL --resume --out OUT/NAME`.
#   usage: scripts/gpu-runs.sh GANZOO OUT SECONDS 'NAME=MODEL [train options]' ...
#   e.g.   scripts/gpu-runs.sh build/cuda/bin/ganzoo runs/sweep 240 \
#            'began-n32=began --width 32 --steps 30000' 'began-g07=began --set gamma=0.7'
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^[^#]/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0; }
set -uo pipefail
[ $# -ge 4 ] || { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
ganzoo=$1 out=$2 seconds=$3; shift 3
[ -x "$ganzoo" ] || { echo "gpu-runs: $ganzoo is not an executable" >&2; exit 2; }
[[ $seconds =~ ^[0-9]+$ ]] || { echo "gpu-runs: SECONDS must be a whole number, not '$seconds'" >&2; exit 2; }
mkdir -p "$out"
names=()
for spec in "$@"; do
  name=${spec%%=*} args=${spec#*=}
  [[ $name =~ ^[A-Za-z0-9._-]+$ && $spec == *=* ]] || { echo "gpu-runs: '$spec' is not NAME=MODEL [options]" >&2; exit 2; }
  names+=("$name")
  (
    # shellcheck disable=SC2086  # the options are meant to split into words
    timeout -s TERM "$seconds" "$ganzoo" train $args --out "$out/$name" --log-every 500 >"$out/$name.log" 2>&1
    rc=$?
    if [ $rc = 124 ]; then echo "train stopped at the time limit" >>"$out/$name.log"; else echo "train exit $rc" >>"$out/$name.log"; fi
    "$ganzoo" export "$out/$name" -o "$out/$name.safetensors" >>"$out/$name.log" 2>&1 &&
      "$ganzoo" verify "$out/$name.safetensors" >>"$out/$name.log" 2>&1 &&
      if grep -q '"family": *"cyclegan"' "$out/$name/config.json" 2>/dev/null; then  # a translator: its examples
        "$ganzoo" translate "$out/$name.safetensors" --examples -o "$out/$name-grid.png" >>"$out/$name.log" 2>&1
      else
        "$ganzoo" sample "$out/$name.safetensors" --seed 7 -n 64 -o "$out/$name-grid.png" >>"$out/$name.log" 2>&1
      fi
    echo "export exit $?" >>"$out/$name.log"
  ) &
done
wait
failed=0
printf '%-16s %8s %10s %8s  %s\n' run steps images/s wall_s "last log row"
for name in "${names[@]}"; do
  summary=$out/$name/summary.json
  if [ -f "$summary" ]; then
    field() { sed -n "s/^ *\"$1\": *\([0-9.]*\).*/\1/p" "$summary" | head -n 1; }
    steps=$(field steps) ips=$(printf '%.0f' "$(field images_per_s)") wall=$(printf '%.0f' "$(field wall_s)")
  else
    steps=- ips=- wall=-
  fi
  printf '%-16s %8s %10s %8s  %s\n' "$name" "$steps" "$ips" "$wall" "$(tail -n 1 "$out/$name/log.csv" 2>/dev/null)"
  if grep -q "exit [1-9]" "$out/$name.log"; then
    grep -h "exit [1-9]" "$out/$name.log" | sed "s/^/  $name: /"
    failed=$((failed + 1))
  fi
done
[ "$failed" -eq 0 ] || { echo "gpu-runs: $failed of ${#names[@]} runs failed (see $out/NAME.log)" >&2; exit 1; }
