#!/usr/bin/env bash
# What `ganzoo train --live` costs a run (docs/live.md): the same training twice, without and
# with live snapshots, alternating so that both see the same machine, and each --live run's own
# account of the seconds it spent writing snapshots and statuses. Prints both; a benchmark that
# prints, never a timed test (not part of `make test`).
#
#   scripts/bench-live.sh [--bin PATH] [--model dcgan] [--steps 600] [--width 64] [--live 30s]
#                         [--pairs 2] [--threads 1]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
usage() { sed -n '2,8s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
die() { echo "bench-live: $*" >&2; exit 1; }

bin=${GANZOO_BIN:-$repo/build/native/bin/ganzoo}
model=dcgan steps=600 width=64 live=30s pairs=2 threads=1
while (($#)); do
  case $1 in
    --bin) bin=${2:?}; shift 2 ;;
    --model) model=${2:?}; shift 2 ;;
    --steps) steps=${2:?}; shift 2 ;;
    --width) width=${2:?}; shift 2 ;;
    --live) live=${2:?}; shift 2 ;;
    --pairs) pairs=${2:?}; shift 2 ;;
    --threads) threads=${2:?}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[ -x "$bin" ] || die "no ganzoo at $bin (make build, or --bin)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# wall seconds of one run, from its summary.json
run() {
  local out=$work/$1; shift
  "$bin" train "$model" --steps "$steps" --width "$width" --threads "$threads" --seed 1 --out "$out" "$@" >"$out.log" 2>&1 \
    || { cat "$out.log" >&2; die "training failed"; }
  /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["wall_s"])' "$out/summary.json"
}

echo "bench-live: $model, $steps steps, width $width, $threads thread(s), --live $live; load $(cut -d' ' -f1-3 /proc/loadavg)"
plain_total=0 live_total=0 spent_total=0
for ((i = 1; i <= pairs; i++)); do
  plain=$(run "plain$i")
  with=$(run "live$i" --live "$live")
  line=$(grep '^live: ' "$work/live$i.log")
  spent=$(sed -E 's/.*, ([0-9.]+) s \(.*/\1/' <<<"$line")
  printf '  pair %d: without %.1f s, with %.1f s (%+.2f %%); %s\n' "$i" "$plain" "$with" \
    "$(/usr/bin/python3 -c "print(100*($with-$plain)/$plain)")" "$line"
  plain_total=$(/usr/bin/python3 -c "print($plain_total+$plain)")
  live_total=$(/usr/bin/python3 -c "print($live_total+$with)")
  spent_total=$(/usr/bin/python3 -c "print($spent_total+$spent)")
done
/usr/bin/python3 - "$plain_total" "$live_total" "$spent_total" <<'EOF'
import sys
plain, live, spent = map(float, sys.argv[1:])
print(f"bench-live: wall with --live / without = {live / plain:.4f} ({100 * (live - plain) / plain:+.2f} %); "
      f"time the live writer accounted for: {spent:.2f} s of {live:.1f} s ({100 * spent / live:.2f} %)")
EOF
