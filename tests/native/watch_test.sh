#!/usr/bin/env bash
# `make demo LIVE=MEMBER` (scripts/watch.sh): one command trains a member with live snapshots while
# `ganzoo serve` shows it. A tiny run: the server answers with the run's live status while it
# trains, the run ends with a snapshot that verifies, and bad usage is refused in one line.
#   watch_test.sh GANZOO WORKDIR
set -uo pipefail
bin=$1 work=$2
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }

bash "$repo/scripts/watch.sh" --ganzoo "$bin" --port 0 --out "$work/run" --once dcgan \
  --steps 60 --width 8 --limit 512 --threads 1 --log-every 5 >"$work/watch.out" 2>&1 &
watch=$!
port=
for _ in $(seq 100); do
  port=$(sed -nE 's|^serving on http://127.0.0.1:([0-9]+)/.*|\1|p' "$work/watch.out")
  [ -n "$port" ] && break
  sleep 0.2
done
[ -n "$port" ] || { cat "$work/watch.out"; fail "the server never said where it listens"; }
# While it trains (or once it has finished), the page's live endpoints answer for the run.
seen=$(/usr/bin/python3 - "$port" <<'PY'
import json, sys, time, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}"
states = set()
for _ in range(600):
    try:
        runs = json.load(urllib.request.urlopen(base + "/api/runs.json", timeout=5))["runs"]
        s = json.load(urllib.request.urlopen(base + f"/runs/{runs[0]['id']}/live/status.json", timeout=5))
        states.add(s["state"])
        if s["state"] == "finished":
            break
    except OSError:
        break  # --once stopped the server
    time.sleep(0.1)
print(" ".join(sorted(states)))
PY
)
wait "$watch"; rc=$?
cat "$work/watch.out"
((rc == 0)) || fail "watch.sh exited $rc"
[[ " $seen " == *" training "* || " $seen " == *" finished "* ]] || fail "the server never showed the run's live status (saw: '$seen')"
[ -f "$work/run/live/latest.safetensors" ] || fail "no live snapshot in the run"
"$bin" verify "$work/run/live/latest.safetensors" >/dev/null || fail "the snapshot does not verify"
grep -q '"state": *"finished"' "$work/run/live/status.json" || fail "the run's status is not 'finished'"

# Bad usage: one line, a non-zero exit, nothing started.
out=$(bash "$repo/scripts/watch.sh" --ganzoo "$bin" nosuchgan 2>&1); rc=$?
((rc == 2)) && [[ $out == "watch: unknown member 'nosuchgan'"* ]] || fail "an unknown member: exit $rc, '$out'"
out=$(bash "$repo/scripts/watch.sh" --ganzoo "$bin" --out "$work/run" dcgan 2>&1); rc=$?
((rc == 1)) && [[ $out == *"exists"* ]] || fail "an existing run folder: exit $rc, '$out'"
out=$(bash "$repo/scripts/watch.sh" --ganzoo "$bin" --port 99999 dcgan 2>&1); rc=$?
((rc == 2)) || fail "a bad port: exit $rc, '$out'"
echo "watch: ok (states seen: $seen)"
