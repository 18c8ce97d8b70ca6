#!/usr/bin/env bash
# `ganzoo project` end to end on the shipped models (web/models): a sample projected back reaches
# a small MSE, `sample --z projection.json` draws the projected image byte for byte, two runs write
# the same files, a cGAN's label is found, and every bad input is one line and a non-zero exit.
#   usage: project.sh GANZOO_BINARY WORK_DIR
set -uo pipefail
ganzoo=$1 work=$2
models=$(cd "$(dirname "$0")/../../web/models" && pwd)
rm -rf "$work" && mkdir -p "$work"
failures=0 passed=0

ok() {  # ok NAME COMMAND... : must exit 0
  local name=$1; shift
  if "$@" >"$work/out" 2>"$work/err"; then passed=$((passed + 1)); else
    echo "FAIL $name: exit $? from: $*"; cat "$work/out" "$work/err"; failures=$((failures + 1)); fi
}
check() {  # check NAME CONDITION-COMMAND... : must succeed
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else echo "FAIL $name"; failures=$((failures + 1)); fi
}
. "$(dirname "$0")/refuses.sh"

# The mean squared difference of two PNGs' pixels, in the models' range [-1, 1] (the files are
# decoded here, independently of ganzoo: 8-bit RGBA or grey, PNG filters 0-4).
png_mse() {
  python3 - "$1" "$2" <<'EOF'
import struct, sys, zlib
def decode(path):
    data = open(path, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', path
    pos, idat = 8, b''
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b'IHDR': w, h, depth, colour = struct.unpack('>IIBB', body[:10])
        if kind == b'IDAT': idat += body
        pos += 12 + n
    assert depth == 8, 'depth'
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([line[x * bpp] for x in range(w)])  # the first channel (grey models: R = G = B)
        prev = line
    return rows
a, b = decode(sys.argv[1]), decode(sys.argv[2])
assert len(a) == len(b) and len(a[0]) == len(b[0]), 'sizes differ'
print(sum(((p - q) / 127.5) ** 2 for ra, rb in zip(a, b) for p, q in zip(ra, rb)) / (len(a) * len(a[0])))
EOF
}
below() { python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)" "$1" "$2"; }
field() { python3 -c "import json, sys; d = json.load(open(sys.argv[1])); print(eval('d' + sys.argv[2]))" "$1" "$2"; }

# DCGAN: sample 0 of seed 3, projected back from other starts (seed 0).
dcgan=$models/dcgan.safetensors
ok sample "$ganzoo" sample "$dcgan" -n 1 --seed 3 -o "$work/target.png"
ok project "$ganzoo" project "$dcgan" --target "$work/target.png" --steps 300 --starts 4 -o "$work/p1"
cat "$work/out"
for f in projection.json result.png compare.png progress.png; do check "wrote $f" test -s "$work/p1/$f"; done
mse=$(png_mse "$work/target.png" "$work/p1/result.png")
start=$(field "$work/p1/projection.json" "['loss']['initial']['pixel']")
echo "dcgan: pixel MSE of result.png to the target $mse (the best start's at step 0: $start)"
check "projected MSE $mse < 0.01" below "$mse" 0.01
check "projected MSE $mse < initial $start / 20" below "$mse" "$(python3 -c "print($start / 20)")"
check "projection.json names the model" grep -q '"name": "dcgan-fashion-mnist"' "$work/p1/projection.json"
check "projection.json: the classifier's term" below 0 "$(field "$work/p1/projection.json" "['weights']['perceptual']")"
ok sample-z "$ganzoo" sample "$dcgan" --z "$work/p1/projection.json" -o "$work/again.png"
check "sample --z draws result.png byte for byte" cmp -s "$work/again.png" "$work/p1/result.png"
# The first run used every core (the starts in slices on threads); this one runs on one thread.
ok project-again "$ganzoo" project "$dcgan" --target "$work/target.png" --steps 300 --starts 4 --threads 1 -o "$work/p2"
for f in projection.json result.png compare.png progress.png; do
  check "a second run, on one thread, writes the same $f" cmp -s "$work/p1/$f" "$work/p2/$f"
done
ok project-overwrite "$ganzoo" project "$dcgan" --target "$work/target.png" --steps 5 --starts 1 --no-perceptual -o "$work/p2"
check "the files are overwritten" test "$(field "$work/p2/projection.json" "['steps']")" = 5
check "--no-perceptual: no classifier" test "$(field "$work/p2/projection.json" "['classifier']")" = None
# A target of another size is resized, with a note.
ok project-resize "$ganzoo" project "$dcgan" --target "$work/p1/compare.png" --steps 5 --starts 1 -o "$work/p3"
check "a note on the resize" grep -q "note: the target is 232x112, the model draws 28x28" "$work/err"

# cGAN: the label is found when not given, kept when given.
cgan=$models/cgan.safetensors
ok sample-cgan "$ganzoo" sample "$cgan" -n 1 --seed 3 --label 5 -o "$work/cgan5.png"
ok project-cgan "$ganzoo" project "$cgan" --target "$work/cgan5.png" --steps 60 --starts 2 -o "$work/c1"
cat "$work/out"
check "cGAN: label 5 found" test "$(field "$work/c1/projection.json" "['label']")" = 5
check "cGAN: 10 labels tried" test "$(field "$work/c1/projection.json" "['candidates'].__len__()")" = 10
ok sample-z-cgan "$ganzoo" sample "$cgan" --z "$work/c1/projection.json" -o "$work/cgan-again.png"
ok project-cgan-threads "$ganzoo" project "$cgan" --target "$work/cgan5.png" --steps 60 --starts 2 --threads 3 -o "$work/c3"
check "cGAN: 20 rows on 3 threads write the same projection" cmp -s "$work/c1/projection.json" "$work/c3/projection.json"
check "cGAN: sample --z draws result.png" cmp -s "$work/cgan-again.png" "$work/c1/result.png"
ok project-cgan-label "$ganzoo" project "$cgan" --target "$work/cgan5.png" --steps 10 --starts 1 --label 2 -o "$work/c2"
check "cGAN: --label 2 kept" test "$(field "$work/c2/projection.json" "['label']")" = 2
# The search's cut (default: 2 labels kept after 20 % of the steps): 8 labels stop at step 12, and
# the z is the full search's (--search-keep 0) when the winner is kept, for fewer generator passes.
check "cGAN: 8 labels stopped at step 12" python3 -c "import json; c = json.load(open('$work/c1/projection.json'))['candidates']; assert sorted(x['steps'] for x in c) == [12] * 8 + [60] * 2"
check "cGAN: 20 rows to step 12, then 4 (evaluations)" test "$(field "$work/c1/projection.json" "['evaluations']")" = $((20 * 13 + 4 * 47 + 4))
ok project-cgan-full "$ganzoo" project "$cgan" --target "$work/cgan5.png" --steps 60 --starts 2 --search-keep 0 -o "$work/c4"
check "cGAN: --search-keep 0 runs every label to the end" test "$(field "$work/c4/projection.json" "['evaluations']")" = $((20 * 61))
check "cGAN: the cut search's z is the full search's" test "$(field "$work/c1/projection.json" "['z']")" = "$(field "$work/c4/projection.json" "['z']")"

# InfoGAN: c_cat searched, c_cont optimised in its range; sample --z draws it again.
infogan=$models/infogan.safetensors
ok sample-infogan "$ganzoo" sample "$infogan" -n 1 --seed 3 --code c_cat=4 -o "$work/info.png"
ok project-infogan "$ganzoo" project "$infogan" --target "$work/info.png" --steps 20 --starts 1 -o "$work/i1"
check "InfoGAN: c_cont within [-1, 1]" python3 -c "import json; c = json.load(open('$work/i1/projection.json'))['codes']['c_cont']; assert all(-1 <= v <= 1 for v in c)"
ok sample-z-infogan "$ganzoo" sample "$infogan" --z "$work/i1/projection.json" -o "$work/info-again.png"
check "InfoGAN: sample --z draws result.png" cmp -s "$work/info-again.png" "$work/i1/result.png"

# Refusals: one line, non-zero, never a crash.
echo 'not an image' >"$work/corrupt.png"
refuses cyclegan 1 "translates images (CycleGAN: nets G_AB, G_BA) and has no latent z" \
  "$ganzoo" project "$models/cyclegan.safetensors" --target "$work/target.png" -o "$work/x"
refuses missing-target 1 "project: --target $work/none.png: cannot open" \
  "$ganzoo" project "$dcgan" --target "$work/none.png" -o "$work/x"
refuses corrupt-target 1 "not a decodable PNG/JPEG/BMP image" "$ganzoo" project "$dcgan" --target "$work/corrupt.png" -o "$work/x"
refuses label-range 1 "project: --label 10 is outside 0..9" "$ganzoo" project "$cgan" --target "$work/target.png" --label 10 -o "$work/x"
refuses label-unconditional 1 "takes no label" "$ganzoo" project "$dcgan" --target "$work/target.png" --label 1 -o "$work/x"
refuses steps-0 2 "--steps: Value 0 not in range" "$ganzoo" project "$dcgan" --target "$work/target.png" --steps 0 -o "$work/x"
refuses steps-negative 2 "--steps" "$ganzoo" project "$dcgan" --target "$work/target.png" --steps -3 -o "$work/x"
refuses threads-negative 2 "--threads" "$ganzoo" project "$dcgan" --target "$work/target.png" --threads -1 -o "$work/x"
refuses search-keep-negative 2 "--search-keep" "$ganzoo" project "$cgan" --target "$work/target.png" --search-keep -1 -o "$work/x"
refuses search-fraction-big 2 "--search-fraction" "$ganzoo" project "$cgan" --target "$work/target.png" --search-fraction 1.5 -o "$work/x"
refuses search-fraction-0 1 "project: search_fraction must be in (0, 1]" "$ganzoo" project "$cgan" --target "$work/target.png" --search-fraction 0 -o "$work/x"
refuses out-is-file 1 "cannot make the output directory" "$ganzoo" project "$dcgan" --target "$work/target.png" -o "$work/target.png/sub"
refuses no-output 2 "-o" "$ganzoo" project "$dcgan" --target "$work/target.png"
refuses z-seed 2 "--seed excludes --z" "$ganzoo" sample "$dcgan" --z "$work/p1/projection.json" --seed 3
refuses z-count 2 "--count excludes --z" "$ganzoo" sample "$dcgan" --z "$work/p1/projection.json" -n 2
refuses z-seeds 2 "--seeds excludes --z" "$ganzoo" sample "$dcgan" --z "$work/p1/projection.json" --seeds 1-2
refuses z-other-model 1 "projected with another model file" "$ganzoo" sample "$models/wgan.safetensors" --z "$work/p1/projection.json" -o "$work/x.png"
refuses z-not-json 1 "not JSON" "$ganzoo" sample "$dcgan" --z "$work/corrupt.png" -o "$work/x.png"
echo '{"format": "ganzoo-projection", "version": 1}' >"$work/short.json"
refuses z-short 1 "a field is missing" "$ganzoo" sample "$dcgan" --z "$work/short.json" -o "$work/x.png"

echo "project.sh: $passed passed, $failures failed"
[ "$failures" -eq 0 ]
