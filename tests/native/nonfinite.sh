#!/usr/bin/env bash
# The non-finite guard through the CLI: a NaN injected into a step's loss (a poisoned batch) and
# one injected into a gradient (losses left finite) each stop `ganzoo train` with a non-zero exit
# and one line naming the step and the quantity; the last good checkpoint still loads and is
# older than the failing step.
#   usage: nonfinite.sh GANZOO_BINARY WORK_DIR
set -uo pipefail
ganzoo=$1 work=$2
rm -rf "$work" && mkdir -p "$work"
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
tiny="--limit 128 --batch 16 --width 4 --z-dim 8 --threads 1 --device cpu --checkpoint-every 2"

# case NAME INJECTION FAILING_STEP GOOD_STEP EXPECTED_TEXT
case_() {
  local name=$1 inject=$2 step=$3 good=$4 text=$5 run=$work/$1
  timeout 120 "$ganzoo" train dcgan $tiny --steps 8 --fault "$inject" --out "$run" \
    >"$work/$name.out" 2>"$work/$name.err"
  local rc=$?
  echo "$name: exit $rc: $(cat "$work/$name.err")"
  [ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "$name: exit $rc, expected a non-zero exit"
  [ "$(wc -l <"$work/$name.err")" -eq 1 ] || fail "$name: stderr is not one line"
  grep -qF "ganzoo: error: step $step: $text" "$work/$name.err" || fail "$name: no 'step $step: $text'"
  grep -qF "latest.pt (step $good" "$work/$name.err" || fail "$name: does not name the checkpoint of step $good"
  grep -qF "try a lower --lr" "$work/$name.err" || fail "$name: suggests nothing"
  # The last good checkpoint loads (export reads it and re-runs the core's check) and is older.
  if "$ganzoo" export "$run" -o "$work/$name.safetensors" --dtype f32 >"$work/$name.export" 2>&1; then
    grep -qF "step $good)" "$work/$name.export" || fail "$name: checkpoint is not step $good: $(cat "$work/$name.export")"
    [ "$good" -lt "$step" ] || fail "$name: checkpoint step $good not older than $step"
  else
    fail "$name: the last good checkpoint does not load: $(cat "$work/$name.export")"
  fi
  # The log stops at the last finite step.
  local last; last=$(tail -n 1 "$run/log.csv" | cut -d, -f1)
  [ "$last" = $((step - 1)) ] || fail "$name: log.csv ends at step $last, expected $((step - 1))"
}

case_ loss loss:5 5 4 "loss_d is nan"
case_ grad grad:3 3 2 "the gradient of G (G."

[ $failures -eq 0 ] && echo "nonfinite: all checks passed" || echo "nonfinite: $failures failed"
[ $failures -eq 0 ]
