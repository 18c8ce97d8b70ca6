#!/usr/bin/env bash
# Watch a GAN learn: train MEMBER for a few minutes with live snapshots and serve the page with
# its Live view (README, "Watch it learn"; docs/live.md). What `make demo LIVE=MEMBER` runs.
#
#   scripts/watch.sh [--ganzoo BIN] [--port 8000] [--out RUN] [--once] MEMBER [TRAIN OPTIONS...]
#
# The training runs in the background (its log: RUN.log) with `--live 15s` and, unless options
# are given after MEMBER, `--epochs 2 --threads 1` (a few minutes on one core); the server runs
# in the foreground on 127.0.0.1. Ctrl-C stops both; the run directory stays, and
# `ganzoo train MEMBER --resume --out RUN --live` continues it. The page keeps showing a run
# that has finished. --once stops the server when the training has ended (for tests).
# Exit 0 after Ctrl-C or --once with a finished run; 1 when the training or the server failed;
# 2: bad usage.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
usage() { sed -n '4,13s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
die() { echo "watch: $*" >&2; exit "${2:-1}"; }

bin=$repo/build/native/bin/ganzoo port=8000 out= once=0
while (($#)); do
  case $1 in
    --ganzoo) bin=${2:?--ganzoo needs a path}; shift 2 ;;
    --port) port=${2:?--port needs a number}; shift 2 ;;
    --out) out=${2:?--out needs a folder}; shift 2 ;;
    --once) once=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) die "unknown option '$1' (see --help)" 2 ;;
    *) break ;;
  esac
done
(($#)) || die "name a member to train, e.g. scripts/watch.sh dcgan (see: ganzoo models)" 2
member=$1; shift
[ -x "$bin" ] || die "no ganzoo at $bin (make build, or --ganzoo)"
"$bin" models | grep -q "^$member " || die "unknown member '$member' (ganzoo models lists them)" 2
[[ $port =~ ^[0-9]+$ ]] && ((port <= 65535)) || die "--port must be 0..65535, got '$port'" 2
(($#)) || set -- --epochs 2 --threads 1
out=${out:-runs/watch-$member-$(date +%Y%m%d-%H%M%S)}
[ -e "$out" ] && die "$out exists: pick another --out, or continue it with ganzoo train --resume"
mkdir -p "$(dirname "$out")"

"$bin" train "$member" --out "$out" --live 15s "$@" >"$out.log" 2>&1 &
trainer=$!
"$bin" serve "$out" --port "$port" </dev/null &
server=$!
stop() { kill "$trainer" "$server" 2>/dev/null; wait "$trainer" "$server" 2>/dev/null; }
trap 'stop; echo "watch: stopped; the run is in $out (its log: $out.log)"; exit 0' INT TERM
echo "watch: training $member into $out (log: $out.log); the page's Live card shows it"

# Wait for the first of the two to end. A training that ends leaves the server up (the page
# still shows the finished run), unless --once; a failed training is said, with its log's end.
trained=0
while :; do
  if ! kill -0 "$server" 2>/dev/null; then
    wait "$server"; rc=$?
    kill "$trainer" 2>/dev/null; wait "$trainer" 2>/dev/null
    die "the server stopped (exit $rc)"
  fi
  if ((!trained)) && ! kill -0 "$trainer" 2>/dev/null; then
    wait "$trainer"; rc=$?
    trained=1
    if ((rc != 0)); then
      tail -n 3 "$out.log" >&2
      kill "$server" 2>/dev/null; wait "$server" 2>/dev/null
      die "training $member failed (exit $rc; the log: $out.log)"
    fi
    echo "watch: training finished ($out); the page still shows it, Ctrl-C stops the server"
    if ((once)); then kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; exit 0; fi
  fi
  sleep 1
done
