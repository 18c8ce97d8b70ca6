#!/usr/bin/env bash
# --live under SIGKILL: a trainer writing a snapshot and a status every step is killed at random
# moments and resumed, while a reader opens both files as fast as it can. Every read must be a
# whole file: the snapshot's header parses and its size is exactly the header plus the tensors,
# and the status is JSON. After each kill the files left are whole and `ganzoo verify` passes.
#   tests/native/live.sh GANZOO WORKDIR
set -uo pipefail
ganzoo=${1:?usage: live.sh GANZOO WORKDIR}
work=${2:?usage: live.sh GANZOO WORKDIR}
rm -rf "$work" && mkdir -p "$work"
run=$work/run
failures=0

# The reader: opens the two files for `seconds`, counts reads, and fails on the first torn one.
reader() {
  /usr/bin/python3 - "$run/live" "$1" <<'EOF'
import json, os, struct, sys, time
live, seconds = sys.argv[1], float(sys.argv[2])
end, reads = time.time() + seconds, 0
while time.time() < end:
    for name in ("latest.safetensors", "status.json"):
        try:
            with open(os.path.join(live, name), "rb") as f:
                data = f.read()
        except FileNotFoundError:
            continue
        reads += 1
        if name == "status.json":
            json.loads(data)
            continue
        (n,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8:8 + n])
        extent = max(v["data_offsets"][1] for k, v in header.items() if k != "__metadata__")
        if len(data) != 8 + n + extent:
            sys.exit(f"torn snapshot: {len(data)} bytes, the header describes {8 + n + extent}")
print(reads)
EOF
}

args=(train dcgan --steps 100000 --batch 16 --width 8 --limit 512 --threads 1 --seed 5 --log-every 1 --live 1
      --checkpoint-every 20 --out "$run")
for leg in 1 2 3; do
  if [ "$leg" = 1 ]; then "$ganzoo" "${args[@]}" >"$work/train$leg.log" 2>&1 &
  else "$ganzoo" "${args[@]}" --resume >"$work/train$leg.log" 2>&1 & fi
  pid=$!
  for _ in $(seq 600); do [ -f "$run/live/latest.safetensors" ] && break; sleep 0.1; done
  reads=$(reader "$((2 + RANDOM % 3)).$((RANDOM % 10))") || { echo "FAIL leg $leg: the reader saw a torn file"; failures=$((failures + 1)); }
  kill -9 "$pid"; wait "$pid" 2>/dev/null
  step=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["step"])' "$run/live/status.json") \
    || { echo "FAIL leg $leg: status.json is not JSON after SIGKILL"; failures=$((failures + 1)); }
  "$ganzoo" verify "$run/live/latest.safetensors" >/dev/null \
    || { echo "FAIL leg $leg: the snapshot left by SIGKILL does not verify"; failures=$((failures + 1)); }
  echo "leg $leg: killed at step ${step:-?} after $reads whole reads"
done
if [ "$failures" = 0 ]; then echo "live.sh: all passed"; rm -rf "$work"; exit 0; fi
echo "live.sh: $failures failed"; exit 1
