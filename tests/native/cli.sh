#!/usr/bin/env bash
# The ganzoo command end to end on a tiny run: train → export → verify → sample → interpolate,
# and every bad input answered by one line on stderr and a non-zero exit, never a crash.
#   usage: cli.sh GANZOO_BINARY WORK_DIR
set -uo pipefail
ganzoo=$1 work=$2
rm -rf "$work" && mkdir -p "$work"
failures=0 passed=0

ok() {  # ok NAME COMMAND... : must exit 0
  local name=$1; shift
  if "$@" >"$work/out" 2>"$work/err"; then passed=$((passed + 1)); else
    echo "FAIL $name: exit $? from: $*"; cat "$work/out" "$work/err"; failures=$((failures + 1)); fi
}

refuses() {  # refuses NAME EXPECTED_TEXT COMMAND... : must exit 1 with one line naming the problem
  local name=$1 expected=$2; shift 2
  "$@" >"$work/out" 2>"$work/err"; local rc=$?
  local lines; lines=$(wc -l <"$work/err")
  if [ $rc -eq 1 ] && [ "$lines" -eq 1 ] && grep -q "^ganzoo: error: .*$expected" "$work/err"; then
    passed=$((passed + 1))
  else
    echo "FAIL $name: exit $rc, $lines stderr lines, expected 'ganzoo: error: ...$expected':"; cat "$work/err"
    failures=$((failures + 1))
  fi
}

run=$work/run model=$work/model.safetensors
ok train "$ganzoo" train dcgan --steps 4 --limit 256 --batch 32 --width 8 --threads 1 --device cpu --out "$run"
ok export-f32 "$ganzoo" export "$run" -o "$model" --dtype f32
grep -q "core check: passed" "$work/out" || { echo "FAIL export: no passed core check"; failures=$((failures + 1)); }
ok export-f16 "$ganzoo" export "$run" -o "$work/model16.safetensors"
ok verify "$ganzoo" verify "$model"
ok info "$ganzoo" info "$model"
grep -q '"family": "dcgan"' "$work/out" || { echo "FAIL info: no family"; failures=$((failures + 1)); }
ok sample "$ganzoo" sample "$model" --seed 7 -n 9 -o "$work/a.png"
ok sample-again "$ganzoo" sample "$model" --seed 7 -n 9 -o "$work/b.png"
cmp -s "$work/a.png" "$work/b.png" || { echo "FAIL sample: same seed, different PNG"; failures=$((failures + 1)); }
[ "$(head -c 8 "$work/a.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] \
  || { echo "FAIL sample: not a PNG"; failures=$((failures + 1)); }
ok interpolate "$ganzoo" interpolate "$model" --from 1 --to 2 --steps 5 --lerp -o "$work/strip.png"

head -c 100 "$model" >"$work/truncated.safetensors"
printf 'not a model at all' >"$work/garbage.safetensors"
refuses truncated "truncated.safetensors" "$ganzoo" sample "$work/truncated.safetensors" -o "$work/x.png"
refuses garbage "garbage.safetensors" "$ganzoo" verify "$work/garbage.safetensors"
refuses unknown-model "unknown model 'nosuch'" "$ganzoo" train nosuch --out "$work/r2"
refuses missing-data "/nonexistent" "$ganzoo" train dcgan --data /nonexistent --out "$work/r3"
refuses existing-run "already holds a run" "$ganzoo" train dcgan --steps 1 --out "$run"
refuses bad-batch "--batch 0" "$ganzoo" train dcgan --batch 0 --limit 64 --out "$work/r4"
refuses no-label "takes no label" "$ganzoo" sample "$model" --label 3 -o "$work/x.png"
refuses unknown-option "not known to dcgan" "$ganzoo" train dcgan --set gamma=2 --out "$work/r5"
refuses resume-nothing "config.json" "$ganzoo" train dcgan --resume --out "$work/r6"
refuses bad-device "expected auto, cpu, cuda" "$ganzoo" train dcgan --device tpu --out "$work/r7"

echo "$passed passed, $failures failed"
[ $failures -eq 0 ]
