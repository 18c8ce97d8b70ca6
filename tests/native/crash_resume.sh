#!/usr/bin/env bash
# Crash-safe training: `ganzoo train` is SIGKILLed at random moments (with a checkpoint every
# step, many kills land inside a checkpoint write) and resumed with --resume each time. After
# every kill: the newest checkpoint loads (export reads it through its checksum), config.json
# parses, log.csv holds whole rows of consecutive steps from 1. At the end the resumed run's
# parameters (exported as F32) and losses equal those of an uninterrupted run, bit for bit.
#   usage: crash_resume.sh GANZOO_BINARY WORK_DIR [KILLS] [RANDOM_SEED]
set -uo pipefail
ganzoo=$1 work=$2 kills=${3:-6}
RANDOM=${4:-$$}
rm -rf "$work" && mkdir -p "$work"
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
args=(dcgan --steps 600 --limit 256 --batch 16 --width 8 --z-dim 8 --threads 1 --device cpu --seed 3
      --checkpoint-every 1)

# Whole rows, consecutive steps from 1, the header's field count; prints the last step.
check_log() {
  /usr/bin/python3 - "$1" <<'PY'
import sys
text = open(sys.argv[1]).read()
assert text.endswith("\n"), "torn last row"
lines = text.splitlines()
fields = lines[0].count(",")
for i, line in enumerate(lines[1:], 1):
    assert line.count(",") == fields, f"row {i} has {line.count(',') + 1} fields: {line!r}"
    assert int(line.split(",")[0]) == i, f"row {i} is step {line.split(',')[0]}"
print(len(lines) - 1)
PY
}

seconds_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }
# How long a start takes (LibTorch, the data) before the first step, then the whole run.
start=$(date +%s.%N)
"$ganzoo" train "${args[@]/600/1}" --out "$work/startup" >/dev/null 2>&1 || { echo "cannot train"; exit 1; }
startup_s=$(seconds_since "$start")
start=$(date +%s.%N)
"$ganzoo" train "${args[@]}" --out "$work/reference" >"$work/reference.log" 2>&1 || { cat "$work/reference.log"; exit 1; }
reference_s=$(seconds_since "$start")
train_s=$(awk -v a="$reference_s" -v b="$startup_s" 'BEGIN { printf "%.2f", (a > b ? a - b : 0.5) }')
echo "uninterrupted run: ${reference_s} s (${startup_s} s to start, ${train_s} s for 600 steps)"
step=0

run=$work/killed
during_write=0
for ((i = 1; i <= kills; i++)); do
  # A moment while this start trains the steps left (a few land in its startup or after it).
  delay=$(awk -v r=$RANDOM -v s="$startup_s" -v t="$train_s" -v done="$step" \
    'BEGIN { printf "%.2f", 0.9 * s + (r % 1000) / 1000 * (t * (600 - done) / 600) }')
  if [ -f "$run/checkpoints/latest.pt" ]; then resume=(--resume); else resume=(); rm -rf "$run"; fi
  rm -f "$run/checkpoints/latest.pt.tmp"
  "$ganzoo" train "${args[@]}" --out "$run" "${resume[@]}" >>"$work/killed.log" 2>&1 &
  pid=$!
  sleep "$delay"
  kill -KILL $pid 2>/dev/null
  wait $pid 2>/dev/null
  note=""
  [ -f "$run/checkpoints/latest.pt.tmp" ] && { note=" (inside a checkpoint write)"; during_write=$((during_write + 1)); }
  if [ ! -f "$run/checkpoints/latest.pt" ]; then
    echo "kill $i after ${delay} s: before the first checkpoint$note"
    continue
  fi
  /usr/bin/python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$run/config.json" \
    || fail "kill $i: config.json does not parse"
  rows=$(check_log "$run/log.csv") || fail "kill $i: log.csv damaged"
  if "$ganzoo" export "$run" -o "$work/check.safetensors" --dtype f32 >"$work/export.log" 2>&1; then
    step=$(grep -o 'step [0-9]*)' "$work/export.log" | tr -dc 0-9)
    echo "kill $i after ${delay} s: checkpoint of step $step loads, log.csv rows 1..$rows$note"
    [ "$rows" -ge "$step" ] || fail "kill $i: log.csv ends at $rows, before the checkpoint's step $step"
  else
    fail "kill $i: the newest checkpoint does not load: $(cat "$work/export.log")"
  fi
done

rm -f "$run/checkpoints/latest.pt.tmp"
if [ -f "$run/checkpoints/latest.pt" ]; then resume=(--resume); else resume=(); rm -rf "$run"; fi
"$ganzoo" train "${args[@]}" --out "$run" "${resume[@]}" >>"$work/killed.log" 2>&1 || fail "final resume failed"
rows=$(check_log "$run/log.csv") || fail "final log.csv damaged"
[ "$rows" = 600 ] || fail "final log.csv has $rows rows, expected 600"

# Parameters: the tensor bytes of both exports (headers differ: wall time, command).
"$ganzoo" export "$work/reference" -o "$work/reference.safetensors" --dtype f32 >/dev/null 2>&1 || fail "export reference"
"$ganzoo" export "$run" -o "$work/killed.safetensors" --dtype f32 >/dev/null 2>&1 || fail "export killed"
/usr/bin/python3 - "$work/reference.safetensors" "$work/killed.safetensors" <<'PY' || fail "parameters differ"
import struct, sys
def data(path):
    b = open(path, "rb").read()
    (n,) = struct.unpack("<Q", b[:8])
    return b[8 + n:]
a, b = data(sys.argv[1]), data(sys.argv[2])
print(f"parameters: {len(a)} bytes each, " + ("identical" if a == b else "DIFFERENT"))
sys.exit(a != b)
PY
# Losses and D's outputs, step by step (not images/s and elapsed time).
cut -d, -f1-6 "$work/reference/log.csv" >"$work/a.csv"; cut -d, -f1-6 "$run/log.csv" >"$work/b.csv"
cmp -s "$work/a.csv" "$work/b.csv" && echo "log.csv losses: identical over 600 steps" || fail "losses differ"

# A damaged newest checkpoint is refused with one line, never half-read: truncated, bit-flipped.
cp -r "$run" "$work/damaged"
size=$(stat -c %s "$run/checkpoints/latest.pt")
head -c $((size / 2)) "$run/checkpoints/latest.pt" >"$work/damaged/checkpoints/latest.pt"
"$ganzoo" export "$work/damaged" -o "$work/x.safetensors" 2>"$work/err" >/dev/null && fail "a truncated checkpoint loaded"
grep -q "checkpoint truncated" "$work/err" && [ "$(wc -l <"$work/err")" -eq 1 ] || fail "truncated: $(cat "$work/err")"
cp "$run/checkpoints/latest.pt" "$work/damaged/checkpoints/latest.pt"
# Flip every bit of the middle byte (writing a fixed byte would change nothing when the file already holds it).
byte=$(od -An -tu1 -j $((size / 2)) -N1 "$run/checkpoints/latest.pt" | tr -d ' ')
printf "\\x$(printf %02x $((byte ^ 0xff)))" | dd of="$work/damaged/checkpoints/latest.pt" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
cmp -s "$run/checkpoints/latest.pt" "$work/damaged/checkpoints/latest.pt" && fail "bit flip did not change the file"
"$ganzoo" export "$work/damaged" -o "$work/x.safetensors" 2>"$work/err" >/dev/null && fail "a damaged checkpoint loaded"
grep -q "checksum mismatch" "$work/err" || fail "bit flip: $(cat "$work/err")"
echo "damaged checkpoints: $(cut -c1-140 "$work/err")"

echo "$kills kills, $during_write inside a checkpoint write"
[ $failures -eq 0 ] && echo "crash_resume: all checks passed" || echo "crash_resume: $failures failed"
[ $failures -eq 0 ]
