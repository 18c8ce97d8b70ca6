#!/usr/bin/env bash
# The ganzoo command end to end on a tiny run: train → export → verify → sample → interpolate,
# and every bad input (a table below) answered by one line on stderr and a non-zero exit, never a
# crash or a hang.
#   usage: cli.sh GANZOO_BINARY WORK_DIR
# GANZOO_HAVE_GLOO=0 (a build without Gloo): rows tagged gloo: are left out, nogloo: rows run.
set -uo pipefail
ganzoo=$1 work=$2
have_gloo=${GANZOO_HAVE_GLOO:-1}
rm -rf "$work" && mkdir -p "$work"
failures=0 passed=0

ok() {  # ok NAME COMMAND... : must exit 0
  local name=$1; shift
  if "$@" >"$work/out" 2>"$work/err"; then passed=$((passed + 1)); else
    echo "FAIL $name: exit $? from: $*"; cat "$work/out" "$work/err"; failures=$((failures + 1)); fi
}

. "$(dirname "$0")/refuses.sh"

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

# Every other member through the same commands (a few steps each; the WGANs reach a generator step).
for member in wgan wgan-gp began improved-dcgan; do
  ok "train-$member" "$ganzoo" train "$member" --steps 6 --limit 128 --batch 16 --width 4 --threads 1 --device cpu --out "$work/run-$member"
  ok "export-$member" "$ganzoo" export "$work/run-$member" -o "$work/$member.safetensors" --dtype f32
  ok "verify-$member" "$ganzoo" verify "$work/$member.safetensors"
  ok "sample-$member" "$ganzoo" sample "$work/$member.safetensors" --seed 3 -n 4 -o "$work/$member.png"
done

# The conditional members: one row per class (cGAN) or per code value (InfoGAN), a label or
# codes fixed, a sweep of a continuous code; codes left out are at 0 (the same PNG as given as 0).
ok train-cgan "$ganzoo" train cgan --steps 4 --limit 128 --batch 16 --width 4 --threads 1 --device cpu --out "$work/run-cgan"
ok train-infogan "$ganzoo" train infogan --steps 4 --limit 128 --batch 16 --set d_hidden=16 --threads 1 --device cpu --out "$work/run-infogan"
for member in cgan infogan; do
  ok "export-$member" "$ganzoo" export "$work/run-$member" -o "$work/$member.safetensors" --dtype f32
  ok "verify-$member" "$ganzoo" verify "$work/$member.safetensors"
  ok "sample-$member" "$ganzoo" sample "$work/$member.safetensors" --seed 3 --columns 4 -o "$work/$member.png"
  grep -q "40 samples.*one row per" "$work/out" || { echo "FAIL sample-$member: no 10x4 grid, one row per class/code"; cat "$work/out"; failures=$((failures + 1)); }
done
ok sample-cgan-label "$ganzoo" sample "$work/cgan.safetensors" --label 7 -n 4 -o "$work/cgan7.png"
ok interpolate-cgan "$ganzoo" interpolate "$work/cgan.safetensors" --label 2 --steps 4 -o "$work/cgan-strip.png"
ok sample-infogan-sweep "$ganzoo" sample "$work/infogan.safetensors" --code c_cat=3 --sweep c_cont:1 --columns 5 -n 10 -o "$work/sweep.png"
ok sample-infogan-zero "$ganzoo" sample "$work/infogan.safetensors" --code c_cat=0 --code c_cont=0,0 -n 4 -o "$work/i0.png"
ok sample-infogan-default "$ganzoo" interpolate "$work/infogan.safetensors" --steps 4 -o "$work/i1.png"
ok sample-infogan-default0 "$ganzoo" interpolate "$work/infogan.safetensors" --steps 4 --code c_cat=0 --code c_cont=0,0 -o "$work/i2.png"
cmp -s "$work/i1.png" "$work/i2.png" || { echo "FAIL infogan: codes left out are not the codes at 0"; failures=$((failures + 1)); }

# Generation as stylegan2-ada's generate.py: --seeds and --outdir (one file per seed and sample,
# each the same pixels as that sample alone), --trunc, endpoints by seed:index, walks between
# classes, a GIF of the walk (decoded by tests/native/gif_check.py) and JPEG output.
same() {  # same NAME A B: the two files are byte-identical
  if cmp -s "$2" "$3"; then passed=$((passed + 1)); else echo "FAIL $1: $2 and $3 differ"; failures=$((failures + 1)); fi
}
differ() {
  if cmp -s "$2" "$3"; then echo "FAIL $1: $2 and $3 are the same"; failures=$((failures + 1)); else passed=$((passed + 1)); fi
}
ok seeds-outdir-cgan "$ganzoo" sample "$work/cgan.safetensors" --seeds 0-2,10 --outdir "$work/seeds"
[ "$(ls "$work/seeds" | wc -l)" = 40 ] && [ -s "$work/seeds/seed0010-class9.png" ] \
  || { echo "FAIL seeds-outdir-cgan: not 4 seeds x 10 classes named seedNNNN-classK.png"; ls "$work/seeds"; failures=$((failures + 1)); }
ok seed-one-cgan "$ganzoo" sample "$work/cgan.safetensors" --seed 2 --label 7 -n 1 --columns 1 -o "$work/one.png"
same seeds-outdir-pixels "$work/seeds/seed0002-class7.png" "$work/one.png"
ok seeds-outdir-dcgan "$ganzoo" sample "$model" --seeds 3 -n 4 --outdir "$work/seeds-d"
ok seed-first-dcgan "$ganzoo" sample "$model" --seed 3 --first 2 -n 1 -o "$work/one-d.png"
same seeds-outdir-index "$work/seeds-d/seed0003-2.png" "$work/one-d.png"
[ -s "$work/seeds-d/seed0003.png" ] && [ -s "$work/seeds-d/seed0003-3.png" ] \
  || { echo "FAIL seeds-outdir-dcgan: no seed0003.png .. seed0003-3.png"; ls "$work/seeds-d"; failures=$((failures + 1)); }
ok seeds-grid "$ganzoo" sample "$model" --seeds 7 -n 9 -o "$work/seeds-grid.png"
same seeds-grid-is-the-grid "$work/seeds-grid.png" "$work/a.png"
ok seeds-grid-many "$ganzoo" sample "$model" --seeds 7,8 -n 9 -o "$work/seeds-grid2.png"
differ seeds-grid-many "$work/seeds-grid2.png" "$work/a.png"
ok trunc-off "$ganzoo" sample "$model" --seed 7 -n 9 --trunc 1 -o "$work/t1.png"
same trunc-one-is-off "$work/t1.png" "$work/a.png"
ok trunc-half "$ganzoo" sample "$model" --seed 7 -n 9 --trunc 0.5 -o "$work/t05.png"
differ trunc-half-changes "$work/t05.png" "$work/a.png"
ok trunc-zero "$ganzoo" sample "$model" --seeds 1,2 --trunc 0 --outdir "$work/t0"
same trunc-zero-is-the-mean "$work/t0/seed0001.png" "$work/t0/seed0002.png"
ok no-extension "$ganzoo" sample "$model" --seed 7 -n 9 -o "$work/noext"
same no-extension-is-png "$work/noext" "$work/a.png"
ok jpeg "$ganzoo" sample "$model" --seed 7 -n 4 -o "$work/a.jpg"
[ "$(head -c 3 "$work/a.jpg" | od -An -tx1 | tr -d ' \n')" = ffd8ff ] \
  || { echo "FAIL jpeg: -o a.jpg is not JPEG data"; failures=$((failures + 1)); }
ok from-index0 "$ganzoo" interpolate "$model" --from 7:0 --to 7:1 --steps 5 -o "$work/w0.png"
ok from-seed "$ganzoo" interpolate "$model" --from 7 --to 7:1 --steps 5 -o "$work/w1.png"
same from-seed-is-index0 "$work/w0.png" "$work/w1.png"
ok from-index1 "$ganzoo" interpolate "$model" --from 7:1 --to 7:1 --steps 5 -o "$work/w2.png"
differ from-index1-differs "$work/w0.png" "$work/w2.png"
ok interpolate-cgan-rows "$ganzoo" interpolate "$work/cgan.safetensors" --steps 4 -o "$work/cgan-rows.png"
grep -q "one row per class" "$work/out" || { echo "FAIL interpolate-cgan-rows: no row per class"; cat "$work/out"; failures=$((failures + 1)); }
ok interpolate-cgan-within "$ganzoo" interpolate "$work/cgan.safetensors" --label 7 --steps 3 -o "$work/cgan-l7.png"
ok interpolate-cgan-within9 "$ganzoo" interpolate "$work/cgan.safetensors" --label 9 --steps 3 -o "$work/cgan-l9.png"
ok interpolate-cgan-between "$ganzoo" interpolate "$work/cgan.safetensors" --from-label 7 --to-label 9 --steps 3 -o "$work/cgan-79.png"
# The walk between classes starts as class 7's walk and ends as class 9's; its middle is neither.
/usr/bin/python3 - "$(dirname "$0")" "$work" <<'PY' && passed=$((passed + 1)) || { echo "FAIL interpolate-cgan-between: the ends are not the classes' own"; failures=$((failures + 1)); }
import sys
sys.path.insert(0, sys.argv[1])
from gif_check import read_png
cells = lambda name: [[row[x * 30:x * 30 + 28] for row in read_png(sys.argv[2] + '/' + name)[2]] for x in range(3)]
mix, seven, nine = cells('cgan-79.png'), cells('cgan-l7.png'), cells('cgan-l9.png')
assert mix[0] == seven[0] and mix[2] == nine[2], 'the ends differ from the classes alone'
assert mix[1] != seven[1] and mix[1] != nine[1], 'the middle is one of the classes'
PY
ok gif "$ganzoo" interpolate "$work/cgan.safetensors" --from 7:0 --to 7:1 --steps 5 -o "$work/walk.png" --gif "$work/walk.gif"
/usr/bin/python3 "$(dirname "$0")/gif_check.py" "$work/walk.gif" "$work/walk.png" 5 10 >"$work/out" 2>&1 && passed=$((passed + 1)) \
  || { echo "FAIL gif: the GIF is not the strip"; cat "$work/out"; failures=$((failures + 1)); }

# The classifier and eval (a tiny classifier: this checks the plumbing, not the accuracy).
classifier=$work/classifier.safetensors
ok train-classifier "$ganzoo" train-classifier --limit 256 --epochs 1 --batch 64 --threads 1 -o "$classifier"
ok verify-classifier "$ganzoo" verify "$classifier"
ok eval-cgan "$ganzoo" eval "$work/cgan.safetensors" --classifier "$classifier" -n 100
grep -q "FD-FMNIST (classifier features, not Inception)" "$work/out" && grep -q "class accuracy" "$work/out" \
  || { echo "FAIL eval-cgan: no FD-FMNIST or class accuracy line"; cat "$work/out"; failures=$((failures + 1)); }
ok eval-infogan "$ganzoo" eval "$work/infogan.safetensors" --classifier "$classifier" -n 100 --json
/usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert {"fd_fmnist","fd_floor","inception_score","code_class_accuracy","q_accuracy","mi_categorical","mi_continuous","q_cluster_accuracy"} <= r.keys() and len(r["mi_continuous"]) == 2 and 0 <= r["q_cluster_accuracy"] <= 1, r.keys()' "$work/out" \
  || { echo "FAIL eval-infogan: --json lacks a metric"; cat "$work/out"; failures=$((failures + 1)); }

# Metrics that travel: `eval --write` stores them in the file (its weights and check untouched);
# the reference statistics (test split, train-vs-test floor) are cached per classifier and
# options, and a cached evaluation gives the same numbers.
export XDG_CACHE_HOME=$work/cache
ok eval-first "$ganzoo" eval "$model" --classifier "$classifier" -n 200 --json
cp "$work/out" "$work/eval1.json"
grep -q "from the cache" "$work/err" && { echo "FAIL eval-first: a cache hit before any cache"; failures=$((failures + 1)); }
ok eval-cached "$ganzoo" eval "$model" --classifier "$classifier" -n 200 --json
grep -q "from the cache" "$work/err" || { echo "FAIL eval-cached: the second eval did not use the cache"; cat "$work/err"; failures=$((failures + 1)); }
same eval-cached-same-numbers "$work/eval1.json" "$work/out"
ok eval-no-cache "$ganzoo" eval "$model" --classifier "$classifier" -n 200 --json --no-cache
grep -q "from the cache" "$work/err" && { echo "FAIL eval-no-cache: --no-cache read the cache"; failures=$((failures + 1)); }
same eval-no-cache-same-numbers "$work/eval1.json" "$work/out"
ok eval-other-count "$ganzoo" eval "$model" --classifier "$classifier" -n 150 --json
grep -q "from the cache" "$work/err" && { echo "FAIL eval-other-count: another -n hit the cache"; failures=$((failures + 1)); }
unset XDG_CACHE_HOME
cp "$model" "$work/written.safetensors"
ok eval-write "$ganzoo" eval "$work/written.safetensors" --classifier "$classifier" -n 200 --write
ok eval-write-verify "$ganzoo" verify "$work/written.safetensors"
ok eval-write-info "$ganzoo" info "$work/written.safetensors"
grep -q '"fd_fmnist"' "$work/out" || { echo "FAIL eval-write: info shows no fd_fmnist"; failures=$((failures + 1)); }
ok eval-write-sample "$ganzoo" sample "$work/written.safetensors" --seed 7 -n 9 -o "$work/written.png"
same eval-write-same-pixels "$work/written.png" "$work/a.png"

# Recipes: `models MEMBER`, --print-config, --config, and every command of a resumed run.
ok models-began "$ganzoo" models began
grep -q "arxiv.org/abs/1703.10717" "$work/out" && grep -Eq "^  gamma +0.5 +1.0 +0..1 +diversity ratio" "$work/out" \
  && grep -Eq "^  ema +0.0" "$work/out" \
  || { echo "FAIL models-began: no paper, or gamma without its default 0.5, shipped 1.0, range and meaning"; cat "$work/out"; failures=$((failures + 1)); }
ok print-config "$ganzoo" train dcgan --width 8 --set ema=0.5 --print-config --out "$work/never"
/usr/bin/python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); o=c["options"]; assert c["family"]=="dcgan" and o["width"]==8 and o["ema"]==0.5 and o["lr"]==0.0002, c' "$work/out" \
  && [ ! -e "$work/never" ] && passed=$((passed + 1)) || { echo "FAIL print-config: wrong options, or it made the run"; cat "$work/out"; failures=$((failures + 1)); }
ok config-print "$ganzoo" train --config "$run/config.json" --print-config
/usr/bin/python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["options"]; b=json.load(open(sys.argv[2]))["options"]; assert a==b, set(a.items())^set(b.items())' "$work/out" "$run/config.json" \
  && passed=$((passed + 1)) || { echo "FAIL config-print: --config does not resolve to the run's options"; failures=$((failures + 1)); }
ok config-rerun "$ganzoo" train --config "$run/config.json" --out "$work/rerun"
/usr/bin/python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["options"]; b=json.load(open(sys.argv[2]))["options"]; assert a==b' "$work/rerun/config.json" "$run/config.json" \
  && cmp -s <(tail -n +2 "$work/rerun/log.csv" | cut -d, -f1-6) <(tail -n +2 "$run/log.csv" | cut -d, -f1-6) \
  && passed=$((passed + 1)) || { echo "FAIL config-rerun: the re-run's options or losses differ from the run's"; failures=$((failures + 1)); }
ok resume-first "$ganzoo" train dcgan --steps 2 --limit 64 --batch 16 --width 4 --threads 1 --device cpu --out "$work/resumed"
ok resume-second "$ganzoo" train dcgan --resume --steps 4 --out "$work/resumed"
/usr/bin/python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["commands"]; assert len(c)==2 and "--resume" in c[1] and "--resume" not in c[0], c' "$work/resumed/summary.json" \
  && passed=$((passed + 1)) || { echo "FAIL resume-commands: summary.json does not hold both commands"; cat "$work/resumed/summary.json"; failures=$((failures + 1)); }
ok resume-export "$ganzoo" export "$work/resumed" -o "$work/resumed.safetensors"
ok resume-info "$ganzoo" info "$work/resumed.safetensors"
grep -q -- "--resume --steps 4" "$work/out" || { echo "FAIL resume-info: info does not show the resume's command"; failures=$((failures + 1)); }
ok report-title "$ganzoo" report "$work/resumed"
grep -q "<title>dcgan — $work/resumed</title>" "$work/resumed/report.html" \
  || { echo "FAIL report-title: report lost the member in its title"; grep -o "<title>[^<]*" "$work/resumed/report.html"; failures=$((failures + 1)); }

# Members that count critic steps say so (console, log.csv, summary.json, report) and show
# generator steps beside them.
ok critic-steps "$ganzoo" train wgan-gp --steps 10 --limit 64 --batch 16 --width 4 --threads 1 --device cpu --log-every 5 --out "$work/critic"
grep -q "critic steps (2 generator steps)" "$work/out" && grep -q "critic step 10/10 (G 2)" "$work/out" \
  && [ "$(head -1 "$work/critic/log.csv" | cut -d, -f1)" = critic_step ] && [ "$(head -1 "$work/critic/log.csv" | awk -F, '{print $NF}')" = generator_step ] \
  && [ "$(tail -1 "$work/critic/log.csv" | awk -F, '{print $NF}')" = 2 ] \
  && grep -q '"generator_steps": 2' "$work/critic/summary.json" && grep -q "10 critic steps, 2 generator steps" "$work/critic/report.html" \
  || { echo "FAIL critic-steps: critic and generator steps not shown"; cat "$work/out"; head -2 "$work/critic/log.csv"; failures=$((failures + 1)); }
grep -q "critic" "$run/log.csv" && { echo "FAIL critic-steps: DCGAN's log counts critic steps"; failures=$((failures + 1)); }

# Ctrl-C: a notice (where it stopped, how to continue), no error line, exit 130, a checkpoint.
"$ganzoo" train dcgan --steps 100000 --limit 256 --batch 16 --width 4 --threads 1 --device cpu --log-every 1 --out "$work/ctrlc" >"$work/ctrlc.out" 2>"$work/ctrlc.err" &
pid=$!
for _ in $(seq 600); do grep -q "step 3/" "$work/ctrlc.out" 2>/dev/null && break; sleep 0.1; done
kill -INT $pid; wait $pid; rc=$?
if [ $rc = 130 ] && grep -q "interrupted (Ctrl-C) at step [0-9]*: checkpoint written; continue with: ganzoo train dcgan --resume --out $work/ctrlc" "$work/ctrlc.out" \
   && ! grep -q "error" "$work/ctrlc.err" && [ -s "$work/ctrlc/checkpoints/latest.pt" ]; then passed=$((passed + 1)); else
  echo "FAIL ctrl-c: exit $rc (expected 130), or no notice, or an error line, or no checkpoint"; tail -2 "$work/ctrlc.out"; cat "$work/ctrlc.err"; failures=$((failures + 1)); fi

# On a terminal the progress line is redrawn in place, so it must fit the width: at 60 columns
# every redraw is at most 59 characters (the bar and the values go first).
if command -v script >/dev/null; then
  script -qec "stty cols 60; '$ganzoo' train improved-dcgan --steps 3 --limit 64 --batch 16 --width 4 --threads 1 --device cpu --out '$work/narrow'" /dev/null >"$work/tty.out" 2>&1
  /usr/bin/python3 - "$work/tty.out" <<'PY' && passed=$((passed + 1)) || { echo "FAIL progress-width: a progress line is wider than the terminal"; failures=$((failures + 1)); }
import re, sys
text = open(sys.argv[1], errors='replace', newline='').read()  # keep the \r redraws
redraws = [p for p in (re.sub(r'\x1b\[[0-9;]*[A-Za-z]', '', part).strip('\n') for part in text.split('\r')) if p.startswith('epoch ')]
assert redraws, 'no progress line seen'
long = [r for r in redraws if len(r.rstrip('\n')) > 59]
assert not long, 'at 60 columns: %r' % long[0]
PY
fi

# scripts/gpu-runs.sh: two runs side by side, one stopped by its time limit (SIGTERM → a
# checkpoint, then exported like the other), and a spec it must refuse. 25 s, so that a loaded
# machine (LibTorch takes seconds to start there) still gets both runs going.
gpu_runs=$(dirname "$0")/../../scripts/gpu-runs.sh
ok gpu-runs "$gpu_runs" "$ganzoo" "$work/sweep" 25 \
  "long=began --steps 1000000 --limit 64 --batch 16 --width 4 --threads 1 --device cpu" \
  "short=dcgan --steps 2 --limit 64 --batch 16 --width 4 --threads 1 --device cpu"
grep -q "stopped at the time limit" "$work/sweep/long.log" && [ -s "$work/sweep/long-grid.png" ] \
  && grep -q "export exit 0" "$work/sweep/long.log" && ls "$work/sweep/long/checkpoints/"*.pt >/dev/null 2>&1 \
  || { echo "FAIL gpu-runs: the time-limited run left no checkpoint, export or grid"; cat "$work/sweep/long.log"; failures=$((failures + 1)); }
grep -q "export exit 0" "$work/sweep/short.log" && [ -s "$work/sweep/short.safetensors" ] \
  || { echo "FAIL gpu-runs: the step-limited run was not exported"; cat "$work/sweep/short.log"; failures=$((failures + 1)); }
if "$gpu_runs" "$ganzoo" "$work/sweep2" 3 "no spec here" >"$work/out" 2>"$work/err" || ! grep -q "is not NAME=MODEL" "$work/err"; then
  echo "FAIL gpu-runs: a spec without NAME= was not refused"; failures=$((failures + 1))
else passed=$((passed + 1)); fi

# ProGAN: a run stopped during its first fade exports "G" (the 4x4 stage enlarged to 32x32) and
# G_4x4; `--net` picks a graph in sample and interpolate.
ok train-progan "$ganzoo" train progan --steps 2 --limit 64 --batch 16 --width 2 --set fade_images=32 --set stabilize_images=16 --threads 1 --device cpu --out "$work/run-progan"
ok export-progan "$ganzoo" export "$work/run-progan" -o "$work/progan.safetensors" --dtype f32
ok sample-progan-net "$ganzoo" sample "$work/progan.safetensors" --net G_4x4 -n 4 -o "$work/progan4.png"
ok interpolate-progan-net "$ganzoo" interpolate "$work/progan.safetensors" --net G_4x4 --steps 3 -o "$work/progan4s.png"
ok sample-progan "$ganzoo" sample "$work/progan.safetensors" -n 4 -o "$work/progan.png"

# CycleGAN: two chosen classes (--domains), both generators exported with held-out examples;
# `translate` on any image and on the stored examples; eval's translation metrics.
ok train-cyclegan "$ganzoo" train cyclegan --domains 7,9 --steps 3 --limit 512 --batch 8 --width 2 --set d_width=2 --set blocks=1 --threads 1 --device cpu --out "$work/run-cyclegan"
grep -q '"count": 92,' "$work/run-cyclegan/config.json" || { echo "FAIL train-cyclegan: not only the images of classes 7 and 9"; grep '"count"' "$work/run-cyclegan/config.json"; failures=$((failures + 1)); }
ok export-cyclegan "$ganzoo" export "$work/run-cyclegan" -o "$work/cyclegan.safetensors" --dtype f32
ok verify-cyclegan "$ganzoo" verify "$work/cyclegan.safetensors"
ok translate-examples "$ganzoo" translate "$work/cyclegan.safetensors" --examples -o "$work/cyclegan-grid.png"
ok translate-input "$ganzoo" translate "$work/cyclegan.safetensors" --input "$work/a.png" --direction BA -o "$work/cyclegan-one.png"
grep -q "Ankle boot -> Sneaker" "$work/out" || { echo "FAIL translate-input: not B -> A"; cat "$work/out"; failures=$((failures + 1)); }
ok eval-cyclegan "$ganzoo" eval "$work/cyclegan.safetensors" --classifier "$classifier" --json
/usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert {"target_fraction_ab","target_fraction_ba","cycle_l1_a","cycle_l1_b","fd_ab","fd_ba"} <= r.keys() and r["count_a"] == 1000, r' "$work/out" \
  || { echo "FAIL eval-cyclegan: --json lacks a metric"; cat "$work/out"; failures=$((failures + 1)); }

head -c 100 "$model" >"$work/truncated.safetensors"
printf 'not a model at all' >"$work/garbage.safetensors"
: >"$work/empty.safetensors"
printf 'a file, not a folder' >"$work/afile"
mkdir -p "$work/norun"

# The bad-input matrix: NAME | EXIT | TEXT THE ONE LINE MUST HOLD | ARGUMENTS ($work and $model expand).
# Exit 2 = a usage error found while parsing the command line, 1 = found while running it.
# Every train row must fail before training starts (each is killed after 60 s: a hang fails).
tiny="--limit 64 --batch 16 --width 4 --threads 1 --device cpu"
while IFS='|' read -r name rc text args; do
  name=$(echo $name) rc=$(echo $rc) text=$(echo "$text" | sed 's/^ *//; s/ *$//')
  [ -z "$name" ] || [ "${name:0:1}" = "#" ] && continue
  case $name in
    gloo:*) [ "$have_gloo" = 1 ] || continue; name=${name#gloo:} ;;
    nogloo:*) [ "$have_gloo" = 0 ] || continue; name=${name#nogloo:} ;;
  esac
  eval "set -- $args"
  refuses "$name" "$rc" "$text" "$ganzoo" "$@"
done <<'TABLE'
# commands and flags
no-command             | 2 | A subcommand is required            |
unknown-command        | 2 | unknown command 'frobnicate'         | frobnicate
unknown-flag           | 2 | --bogus                              | models --bogus
unknown-train-flag     | 2 | --bogus                              | train dcgan --bogus 3 --out $work/r
unknown-model          | 1 | unknown model 'nosuch'               | train nosuch --out $work/r
missing-model-arg      | 2 | model is required                    | train
unknown-recipe-option  | 1 | not known to dcgan                   | train dcgan --set gamma=2 $tiny --out $work/r
bad-set                | 1 | expected key=value                   | train dcgan --set nokey $tiny --out $work/r
# wrong types
batch-abc              | 2 | --batch                              | train dcgan --batch abc --out $work/r
epochs-float           | 2 | --epochs                             | train dcgan --epochs 1.5 --out $work/r
lr-word                | 2 | --lr                                 | train dcgan --lr fast --out $work/r
seed-word              | 2 | --seed                               | sample $model --seed seven -o $work/x.png
count-abc              | 2 | --count                              | sample $model -n abc -o $work/x.png
label-word             | 2 | --label                              | sample $model --label shoe -o $work/x.png
# out-of-range numbers
batch-zero             | 1 | --batch 0                            | train dcgan --batch 0 --limit 64 --out $work/r
batch-over-dataset     | 1 | between 1 and the dataset size 64    | train dcgan --limit 64 --batch 1000 --out $work/r
epochs-negative        | 1 | --epochs -1                          | train dcgan $tiny --epochs -1 --out $work/r
steps-negative         | 1 | --steps -5                           | train dcgan $tiny --steps -5 --out $work/r
nothing-to-train       | 1 | nothing to train                     | train dcgan $tiny --epochs 0 --out $work/r
limit-negative         | 1 | --limit -1                           | train dcgan --limit -1 --out $work/r
threads-negative       | 1 | --threads -2                         | train dcgan --limit 64 --threads -2 --out $work/r
checkpoint-every-zero  | 1 | --checkpoint-every 0                 | train dcgan $tiny --checkpoint-every 0 --out $work/r
log-every-zero         | 1 | --log-every 0                        | train dcgan $tiny --log-every 0 --out $work/r
width-zero             | 1 | width must be >= 1                   | train dcgan --limit 64 --batch 16 --width 0 --out $work/r
z-dim-negative         | 1 | z_dim and width must be >= 1         | train dcgan $tiny --z-dim -4 --out $work/r
gp-with-batch-norm     | 1 | set critic_norm to "layer" or "none" | train wgan-gp $tiny --set 'critic_norm="batch"' --out $work/r
critic-norm-unknown    | 1 | 'critic_norm' must be                | train wgan $tiny --set 'critic_norm="group"' --out $work/r
optimizer-unknown      | 1 | 'optimizer' must be                  | train wgan $tiny --set 'optimizer="sgd"' --out $work/r
n-critic-zero          | 1 | n_critic must be in [1, 1000]        | train wgan-gp $tiny --set n_critic=0 --out $work/r
clip-negative          | 1 | clip and gp_lambda must be >= 0      | train wgan $tiny --set clip=-0.01 --out $work/r
began-gamma-over-one   | 1 | gamma must be in [0, 1]              | train began $tiny --set gamma=1.5 --out $work/r
began-k0-negative      | 1 | k0 must be in [0, 1]                 | train began $tiny --set k0=-0.1 --out $work/r
count-zero             | 2 | --count                              | sample $model -n 0 -o $work/x.png
count-huge             | 2 | --count                              | sample $model -n 100000 -o $work/x.png
no-label               | 1 | takes no label                       | sample $model --label 3 -o $work/x.png
interpolate-one-step   | 2 | --steps                              | interpolate $model --steps 1 -o $work/x.png
interpolate-bad-mode   | 2 | --mode                               | interpolate $model --mode cubic -o $work/x.png
export-bad-dtype       | 2 | --dtype                              | export $work/run -o $work/x.safetensors --dtype f8
bad-device             | 1 | expected auto, cpu, cuda             | train dcgan --device tpu --out $work/r
no-cuda                | 1 | CUDA is not available                | train dcgan --device cuda --out $work/r
# data-parallel training (docs/distributed.md): bad flags fail before any rendezvous; a missing
# peer ends the rendezvous at --dist-timeout
dist-world-zero        | 1 | --world-size 0                       | train dcgan $tiny --world-size 0 --out $work/r
dist-rank-over-world   | 1 | --rank 2: must be between 0 and --world-size - 1 = 1 | train dcgan $tiny --world-size 2 --rank 2 --master 127.0.0.1:29517 --out $work/r
dist-rank-negative     | 1 | --rank -1                            | train dcgan $tiny --world-size 2 --rank -1 --master 127.0.0.1:29517 --out $work/r
dist-rank-alone        | 1 | --rank 1: must be between 0 and --world-size - 1 = 0 | train dcgan $tiny --rank 1 --out $work/r
dist-no-master         | 1 | needs --master ADDR:PORT             | train dcgan $tiny --world-size 2 --out $work/r
dist-master-no-port    | 1 | --master nohost: expected ADDR:PORT  | train dcgan $tiny --world-size 2 --master nohost --out $work/r
dist-master-bad-port   | 1 | port must be a number between 1 and 65535 | train dcgan $tiny --world-size 2 --master 127.0.0.1:99999 --out $work/r
dist-master-word-port  | 1 | port must be a number between 1 and 65535 | train dcgan $tiny --world-size 2 --master 127.0.0.1:http --out $work/r
dist-timeout-zero      | 1 | --dist-timeout 0: must be more than 0 | train dcgan $tiny --world-size 2 --master 127.0.0.1:29517 --dist-timeout 0 --out $work/r
dist-timeout-word      | 2 | --dist-timeout                       | train dcgan $tiny --dist-timeout soon --out $work/r
dist-backend-unknown   | 1 | expected auto, gloo or nccl          | train dcgan $tiny --world-size 2 --master 127.0.0.1:29517 --dist-backend mpi --out $work/r
dist-nccl-on-cpu       | 1 | --dist-backend nccl needs --device cuda | train dcgan $tiny --world-size 2 --master 127.0.0.1:29517 --dist-backend nccl --out $work/r
dist-bucket-zero       | 1 | --bucket-mb 0                        | train dcgan $tiny --world-size 2 --master 127.0.0.1:29517 --bucket-mb 0 --out $work/r
dist-global-batch      | 1 | --batch 40 x --world-size 2 = 80 must be between 1 and the dataset size 64 | train dcgan --limit 64 --batch 40 --width 4 --threads 1 --device cpu --world-size 2 --master 127.0.0.1:29517 --out $work/r
gloo:dist-no-peer      | 1 | rank 0 of 2: rendezvous at 127.0.0.1:29518 failed: 1 of 2 ranks joined within 2 s | train dcgan $tiny --world-size 2 --rank 0 --master 127.0.0.1:29518 --dist-timeout 100 --rendezvous-timeout 2 --out $work/r
dist-rendezvous-negative | 1 | --rendezvous-timeout -1: must be between 0 | train dcgan $tiny --world-size 2 --master 127.0.0.1:29517 --rendezvous-timeout -1 --out $work/r
nogloo:dist-gloo-missing | 1 | --dist-backend gloo: this LibTorch has no Gloo headers | train dcgan $tiny --world-size 2 --rank 0 --master 127.0.0.1:29518 --dist-timeout 2 --out $work/r
gloo:dist-no-rank-zero | 1 | rank 1 of 2: rendezvous at 127.0.0.1:29519 failed | train dcgan $tiny --world-size 2 --rank 1 --master 127.0.0.1:29519 --dist-timeout 2 --out $work/r
launch-not-train       | 1 | launch: expected `ganzoo launch -n N train MODEL | launch -n 2 models
launch-nothing         | 1 | launch: expected `ganzoo launch -n N train MODEL | launch -n 2
launch-sets-rank       | 1 | --rank is set by launch              | launch -n 2 train dcgan $tiny --rank 1 --out $work/r
launch-sets-master     | 1 | --master is set by launch            | launch -n 2 train dcgan $tiny --master=127.0.0.1:5 --out $work/r
launch-zero            | 2 | --nproc                              | launch -n 0 train dcgan $tiny --out $work/r
launch-bad-master      | 1 | --master 127.0.0.1:: expected ADDR:PORT | launch -n 2 --master 127.0.0.1: train dcgan $tiny --out $work/r
# Improved DCGAN's switches
idcgan-real-label      | 1 | real_label must be in (0, 1]         | train improved-dcgan $tiny --set real_label=1.5 --out $work/r
idcgan-history-negative | 1 | history_weight must be >= 0         | train improved-dcgan $tiny --set history_weight=-1 --out $work/r
idcgan-norm-unknown    | 1 | 'generator_norm' must be "virtual" or "batch" | train improved-dcgan $tiny --set 'generator_norm="layer"' --out $work/r
idcgan-reference-zero  | 1 | reference_batch must be >= 1         | train improved-dcgan $tiny --set reference_batch=0 --out $work/r
idcgan-kernels-negative | 1 | minibatch_kernels must be >= 0      | train improved-dcgan $tiny --set minibatch_kernels=-1 --out $work/r
idcgan-labels-multiple | 1 | must be a multiple of the 10 classes | train improved-dcgan $tiny --labels 15 --set minibatch_kernels=0 --out $work/r
idcgan-labels-minibatch | 1 | needs minibatch_kernels=0           | train improved-dcgan $tiny --labels 10 --out $work/r
idcgan-labels-too-many | 1 | --labels needs 50 images of class    | train improved-dcgan $tiny --labels 500 --set minibatch_kernels=0 --out $work/r
labels-on-dcgan        | 1 | option 'labels' is not known to dcgan | train dcgan $tiny --labels 100 --out $work/r
# conditional members, codes, the classifier and eval
cgan-condition-word    | 1 | 'condition_d' has the wrong type     | train cgan $tiny --set condition_d=3 --out $work/r
infogan-no-categories  | 1 | z_dim and categories must be >= 1    | train infogan --limit 64 --batch 16 --threads 1 --set categories=0 --out $work/r
infogan-lambda-negative | 1 | the lambdas >= 0                    | train infogan --limit 64 --batch 16 --threads 1 --set lambda=-1 --out $work/r
cgan-label-range       | 1 | label 12 is outside [0, 10)          | sample $work/cgan.safetensors --label 12 -o $work/x.png
cgan-label-and-mix     | 2 | --label excludes --from-label        | interpolate $work/cgan.safetensors --label 1 --from-label 2 --to-label 3 -o $work/x.png
cgan-mix-half          | 1 | give both --from-label A and --to-label B | interpolate $work/cgan.safetensors --from-label 2 -o $work/x.png
cgan-mix-range         | 1 | label 12 is outside [0, 10)          | interpolate $work/cgan.safetensors --from-label 2 --to-label 12 -o $work/x.png
mix-on-dcgan           | 1 | --from-label/--to-label: this model takes no label | interpolate $model --from-label 1 --to-label 2 -o $work/x.png
# generation options: seeds, outdir, truncation, endpoints, image formats
seeds-backwards        | 1 | 5-3 runs from high to low            | sample $model --seeds 5-3 -o $work/x.png
seeds-word             | 1 | --seeds 1,x: 'x' is not a whole number | sample $model --seeds 1,x -o $work/x.png
seeds-empty-item       | 1 | '' is not a whole number             | sample $model --seeds 1,,2 -o $work/x.png
seeds-too-many         | 1 | more than 4096 seeds                 | sample $model --seeds 0-5000 -o $work/x.png
seeds-times-count      | 1 | over 4096 images                     | sample $model --seeds 0-99 -n 100 --outdir $work/many
seeds-and-seed         | 2 | --seed excludes --seeds              | sample $model --seed 1 --seeds 2 -o $work/x.png
seeds-sweep            | 1 | leave out --seeds and --outdir       | sample $work/infogan.safetensors --seeds 1 --sweep c_cont -o $work/x.png
trunc-over             | 2 | not a truncation psi in 0..2         | sample $model --trunc 3 -o $work/x.png
trunc-word             | 2 | not a truncation psi                 | interpolate $model --trunc much -o $work/x.png
from-bad-index         | 2 | --from: a seed is a whole number, with an optional :INDEX of its sample (7, 7:1), got '7:x' | interpolate $model --from 7:x -o $work/x.png
to-bad-seed            | 2 | --to: a seed is a whole number       | interpolate $model --to -1 -o $work/x.png
from-huge-seed         | 1 | --from: 99999999999999999999 is over 2^64 - 1 | interpolate $model --from 99999999999999999999 -o $work/x.png
output-bmp             | 1 | write a .png or a .jpg (.jpeg) image, not .bmp | sample $model -o $work/x.bmp
gif-not-gif            | 1 | the animation is a GIF; name it NAME.gif | interpolate $model --gif $work/walk.png
gif-fps-zero           | 2 | --fps                                | interpolate $model --gif $work/w.gif --fps 0
label-on-dcgan         | 1 | takes no label                       | sample $model --label 1 -o $work/x.png
code-unknown           | 1 | --code 'x=1': expected NAME=V        | sample $work/infogan.safetensors --code x=1 -o $work/x.png
code-not-number        | 1 | --code c_cont: 'a' is not a number   | sample $work/infogan.safetensors --code c_cont=a,1 -o $work/x.png
code-count             | 1 | --code c_cont: takes 2 value(s), got 1 | sample $work/infogan.safetensors --code c_cont=1 -o $work/x.png
code-category-range    | 1 | values are whole numbers 0..9, got 10 | sample $work/infogan.safetensors --code c_cat=10 -o $work/x.png
code-category-fraction | 1 | values are whole numbers 0..9, got 2.5 | sample $work/infogan.safetensors --code c_cat=2.5 -o $work/x.png
code-on-dcgan          | 1 | with NAME one of the model's codes (it has none) | sample $model --code c_cat=1 -o $work/x.png
sweep-categorical      | 1 | has no continuous code 'c_cat'       | sample $work/infogan.safetensors --sweep c_cat -o $work/x.png
sweep-index            | 1 | index must be 0..1                   | sample $work/infogan.safetensors --sweep c_cont:5 -o $work/x.png
eval-missing-classifier | 1 | /nonexistent.safetensors            | eval $model --classifier /nonexistent.safetensors -n 10
eval-not-a-classifier  | 1 | not a ganzoo classifier              | eval $model --classifier $model -n 10
eval-count-one         | 2 | --count                              | eval $model -n 1
classifier-epochs-zero | 2 | --epochs                             | train-classifier --epochs 0 -o $work/x.safetensors
classifier-missing-data | 1 | /nonexistent                        | train-classifier --data /nonexistent -o $work/x.safetensors
# missing and broken files
sample-missing-file    | 2 | /nonexistent.safetensors             | sample /nonexistent.safetensors -o $work/x.png
verify-a-folder        | 2 | is actually a directory              | verify $work
info-missing-file      | 2 | /nonexistent.safetensors             | info /nonexistent.safetensors
truncated              | 1 | truncated.safetensors                | sample $work/truncated.safetensors -o $work/x.png
garbage                | 1 | garbage.safetensors                  | verify $work/garbage.safetensors
empty-file             | 1 | empty.safetensors                    | info $work/empty.safetensors
interpolate-garbage    | 1 | garbage.safetensors                  | interpolate $work/garbage.safetensors -o $work/x.png
missing-data           | 1 | /nonexistent                         | train dcgan --data /nonexistent --out $work/r
data-is-a-file         | 1 | afile                                | train dcgan --data $work/afile --out $work/r
export-missing-run     | 2 | /nonexistent-run                     | export /nonexistent-run -o $work/x.safetensors
export-not-a-run       | 1 | config.json                          | export $work/norun -o $work/x.safetensors
report-missing-run     | 2 | /nonexistent-run                     | report /nonexistent-run
existing-run           | 1 | already holds a run                  | train dcgan --steps 1 --out $work/run
resume-nothing         | 1 | config.json                          | train dcgan --resume --out $work/r6
resume-without-out     | 1 | --resume needs --out                 | train dcgan --resume
config-missing         | 2 | --config                             | train --config $work/nosuch.json
config-not-a-run       | 1 | not a run's config.json              | train --config $work/afile
config-other-member    | 1 | a 'dcgan' run, not 'wgan'            | train wgan --config $work/run/config.json
config-and-resume      | 1 | --resume continues one               | train --config $work/run/config.json --resume --out $work/run
models-unknown         | 1 | unknown model 'nosuch'               | models nosuch
# unwritable outputs (a path below a regular file: root may write anywhere else)
sample-unwritable      | 1 | afile                                | sample $model -n 4 -o $work/afile/x.png
interpolate-unwritable | 1 | afile                                | interpolate $model -o $work/afile/x.png
export-unwritable      | 1 | afile                                | export $work/run -o $work/afile/x.safetensors
train-unwritable       | 1 | afile                                | train dcgan $tiny --steps 1 --out $work/afile/run
# ProGAN's recipe and --net (sample, interpolate)
progan-stages-zero     | 1 | stages must be in [1, 8]             | train progan $tiny --set stages=0 --out $work/r
progan-too-few-stages  | 1 | 3 stages grow to 16x16, which cannot centre 28x28 | train progan $tiny --set stages=3 --out $work/r
progan-fade-negative   | 1 | fade_images and stabilize_images must be >= 0 | train progan $tiny --set fade_images=-1 --out $work/r
progan-drift-negative  | 1 | gp_lambda and drift must be >= 0     | train progan $tiny --set drift=-0.1 --out $work/r
net-unknown            | 1 | --net G_8x8: the file has no such net (it has G) | sample $model --net G_8x8 -o $work/x.png
net-unknown-progan     | 1 | --net G_8x8: the file has no such net (it has G, G_4x4) | sample $work/progan.safetensors --net G_8x8 -o $work/x.png
interpolate-net-unknown | 1 | --net D: the file has no such net (it has G) | interpolate $model --net D -o $work/x.png
# CycleGAN's domains and `translate`
cyclegan-domain-unknown | 1 | --domains: 'Boot' is not a class     | train cyclegan $tiny --domains Sneaker,Boot --out $work/r
cyclegan-domains-one   | 1 | expected two classes A,B             | train cyclegan $tiny --domains 7 --out $work/r
cyclegan-domains-same  | 1 | the two domains are the same class   | train cyclegan $tiny --domains 7,sneaker --out $work/r
cyclegan-domain-empty  | 1 | class 'Sneaker' has no training images | train cyclegan --limit 3 --batch 1 --threads 1 --domains 0,7 --out $work/r
cyclegan-blocks-negative | 1 | blocks, pool and the lambdas >= 0  | train cyclegan --limit 512 --batch 8 --threads 1 --set blocks=-1 --out $work/r
translate-neither      | 1 | give either --input IMAGE or --examples | translate $work/cyclegan.safetensors -o $work/x.png
translate-both         | 1 | give either --input IMAGE or --examples | translate $work/cyclegan.safetensors --examples --input $work/a.png -o $work/x.png
translate-direction    | 2 | --direction                          | translate $work/cyclegan.safetensors --input $work/a.png --direction CD -o $work/x.png
translate-not-an-image | 1 | afile                                | translate $work/cyclegan.safetensors --input $work/afile -o $work/x.png
translate-missing-input | 1 | /nonexistent.png                    | translate $work/cyclegan.safetensors --input /nonexistent.png -o $work/x.png
translate-dcgan        | 1 | is not an image-to-image model       | translate $model --examples -o $work/x.png
translate-unwritable   | 1 | afile                                | translate $work/cyclegan.safetensors --examples -o $work/afile/x.png
sample-cyclegan        | 1 | is an image-to-image model (cyclegan): it translates images and does not sample them; try: ganzoo translate | sample $work/cyclegan.safetensors -o $work/x.png
interpolate-cyclegan   | 1 | try: ganzoo translate                | interpolate $work/cyclegan.safetensors -o $work/x.png
translate-jpeg-output  | 1 | not .gif                             | translate $work/cyclegan.safetensors --examples -o $work/x.gif
TABLE

echo "$passed passed, $failures failed"
[ $failures -eq 0 ]
