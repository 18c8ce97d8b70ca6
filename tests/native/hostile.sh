#!/usr/bin/env bash
# Hostile inputs through the CLI, each answered by one line on stderr and a non-zero
# exit, never a crash, a hang or a replaced file. Quick: tiny runs of a few seconds at most.
#   usage: hostile.sh GANZOO_BINARY WORK_DIR MODEL.safetensors
set -uo pipefail
ganzoo=$1 work=$2 model=$3
rm -rf "$work" && mkdir -p "$work"
failures=0 passed=0

check() {  # check NAME CONDITION... : the condition (a command) must hold
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else echo "FAIL $name: $*"; failures=$((failures + 1)); fi
}

. "$(dirname "$0")/refuses.sh"

# with_field SRC DST FIELDS_FILE : a copy of a model whose ganzoo document gets the JSON fields in FIELDS_FILE
with_field() {
  /usr/bin/python3 - "$@" <<'PY'
import json, struct, sys
src, dst, fields = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().strip()
b = open(src, "rb").read()
n = struct.unpack("<Q", b[:8])[0]
header = json.loads(b[8:8 + n])
doc = header["__metadata__"]["ganzoo"]
header["__metadata__"]["ganzoo"] = doc[:doc.rindex("}")] + "," + fields + "}"
text = json.dumps(header).encode()
text += b" " * ((8 - len(text) % 8) % 8)
open(dst, "wb").write(struct.pack("<Q", len(text)) + text + b[8 + n:])
PY
}

# --- High 2: -o replaces only a regular file or nothing, and never leaves a .tmp -----------------
# A character device made here (the same as /dev/full: writes fail with ENOSPC), never /dev/ itself.
out=$work/outputs && mkdir -p "$out"
have_device=0
mknod "$out/full" c 1 7 2>/dev/null && have_device=1
mkfifo "$out/fifo"
mkdir "$out/dir"
ln -s dir "$out/link-to-dir"
ln -s nowhere "$out/dangling"
printf 'old' >"$out/regular"
ln -s regular "$out/link-to-regular"
if [ $have_device = 1 ]; then
  refuses out-device 1 "full: is a character device, not a regular file" "$ganzoo" sample "$model" -n 1 -o "$out/full"
  check out-device-kept test -c "$out/full"
else
  echo "skip out-device: mknod is not allowed here"
fi
refuses out-fifo 1 "fifo: is a FIFO, not a regular file" "$ganzoo" sample "$model" -n 1 -o "$out/fifo"
check out-fifo-kept test -p "$out/fifo"
refuses out-dir 1 "dir: is a directory, not a regular file" "$ganzoo" sample "$model" -n 1 -o "$out/dir"
refuses out-link-to-dir 1 "link-to-dir: a symbolic link to a directory" "$ganzoo" interpolate "$model" --steps 2 -o "$out/link-to-dir"
check out-link-kept test -L "$out/link-to-dir"
refuses out-dangling 1 "dangling: a symbolic link to nothing" "$ganzoo" sample "$model" -n 1 -o "$out/dangling"
refuses out-empty 1 "the output path is empty" "$ganzoo" sample "$model" -n 1 -o ""
(cd "$out" && "$ganzoo" sample "$model" -n 1 -o "" >/dev/null 2>&1)
"$ganzoo" sample "$model" -n 1 -o "$out/link-to-regular" >/dev/null 2>&1
check out-link-followed test -L "$out/link-to-regular"
check out-link-target-written bash -c "head -c 4 '$out/regular' | od -An -c | grep -q 'P   N   G'"
check out-no-tmp bash -c "! ls -A '$out' '$work' | grep -q '\.tmp$'"

# --- Medium 3: one train per run directory, and SIGKILL leaves no stale lock -------------------
lockrun=$work/locked
args=(dcgan --steps 100000 --limit 64 --batch 16 --width 4 --threads 1 --device cpu --checkpoint-every 1)
wait_for() {  # wait_for FILE PATTERN : up to 120 s for PATTERN in FILE
  for _ in $(seq 1200); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1
}
"$ganzoo" train "${args[@]}" --out "$lockrun" >"$work/first.log" 2>&1 &
first=$!
for _ in $(seq 1200); do [ -s "$lockrun/checkpoints/latest.pt" ] && break; sleep 0.1; done
check lock-first-trains test -s "$lockrun/checkpoints/latest.pt"
refuses lock-resume 1 "$lockrun is in use by another ganzoo train (PID $first)" "$ganzoo" train "${args[@]}" --resume --out "$lockrun"
kill -9 $first 2>/dev/null; wait $first 2>/dev/null
"$ganzoo" train "${args[@]}" --resume --out "$lockrun" >"$work/second.log" 2>&1 &
second=$!
check lock-not-stale-after-sigkill wait_for "$work/second.log" "resumed at step"
kill -TERM $second 2>/dev/null; wait $second 2>/dev/null
check lock-released-at-exit bash -c "! grep -q 'is in use' '$work/second.log'"

# --- Low 6: a checkpoint without the checksum envelope (a bare LibTorch zip) is refused --------
latest=$lockrun/checkpoints/latest.pt
tail -c +25 "$latest" >"$work/bare.pt" && mv "$work/bare.pt" "$latest"
check bare-is-a-zip bash -c "head -c 2 '$latest' | grep -q PK"
refuses checkpoint-without-envelope 1 "latest.pt: a checkpoint without the GZCKPT01 checksum envelope" "$ganzoo" train "${args[@]}" --resume --out "$lockrun"

# --- Medium 4: sizes and kinds are checked before reading; the document's depth is bounded ------
cp "$model" "$work/huge.safetensors" && truncate -s 8G "$work/huge.safetensors"  # sparse: no disk
start=$(date +%s)
refuses huge-model 1 "huge.safetensors: 8589934592 bytes, more than a model can be (1090519048 bytes)" "$ganzoo" info "$work/huge.safetensors"
check huge-model-at-once test $(( $(date +%s) - start )) -le 5
rm -f "$work/huge.safetensors"
# A model within the size limit is read as far as its last tensor, no further: 1 GB of padding
# after a valid model costs neither memory nor time. The address-space cap fits the process with
# room to spare (it needs about 0.9 GB) but not with the padding read in as well.
cp "$model" "$work/padded.safetensors" && truncate -s 1000000000 "$work/padded.safetensors"
check padded-model-reads-header-and-tensors bash -c "ulimit -v 1500000; timeout 60 '$ganzoo' verify '$work/padded.safetensors' >'$work/out' 2>&1 || { cat '$work/out'; exit 1; }"
rm -f "$work/padded.safetensors"
refuses dev-zero-model 1 "/dev/zero: is a character device, not a regular file" "$ganzoo" info /dev/zero
refuses dir-as-input 1 "$work: is a directory, not a regular file" "$ganzoo" translate "$(dirname "$model")/cyclegan.safetensors" --input "$work" -o "$work/x.png"
refuses dir-as-classifier 1 "$work: is a directory, not a regular file" "$ganzoo" eval "$model" --classifier "$work" -n 10
/usr/bin/python3 -c 'print("\"extra\": " + "[" * 30000 + "]" * 30000)' >"$work/deep.json"
with_field "$model" "$work/deep.safetensors" "$work/deep.json"
refuses deep-document 1 "ganzoo metadata: the document nests deeper than 32 levels" "$ganzoo" info "$work/deep.safetensors"
/usr/bin/python3 -c 'import json; print("\"wide\": " + json.dumps(list(range(100000))) + ", \"long\": " + json.dumps("x" * 100000))' >"$work/wide.json"
with_field "$model" "$work/wide.safetensors" "$work/wide.json"
"$ganzoo" info "$work/wide.safetensors" >"$work/info.txt" 2>&1
check info-bounded test "$(wc -c <"$work/info.txt")" -lt 4000
check info-describes-unknown grep -q '"wide": "<an array of 100000 items>"' "$work/info.txt"

# --- Medium 5: memory estimated before it is spent ----------------------------------------------
refuses png-too-large 1 "the PNG would be 30688x30688 pixels (3592 MiB of RGBA), over the limit of 67108864 pixels (256 MiB); lower --count or --scale" "$ganzoo" sample "$model" -n 4096 --scale 16 -o "$work/x.png"
check png-too-large-no-file test ! -e "$work/x.png"
refuses width-too-large 1 "--width 100000: the networks would hold about" "$ganzoo" train dcgan --width 100000 --limit 64 --batch 16 --steps 1 --threads 1 --device cpu --out "$work/wide-run"
check width-names-the-memory grep -q "GB of memory" "$work/err"
# Twelve 8192x8192 RGB PNGs (one file, hard-linked: a few hundred KB on disk), 2.25 GiB decoded.
mkdir -p "$work/big-images"
/usr/bin/python3 - "$work/big-images/000.png" <<'PY'
import struct, sys, zlib
w = h = 8192
chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
row = b"\0" + bytes(w * 3)
z = zlib.compressobj(9)
data = b"".join(z.compress(row) for _ in range(h)) + z.flush()
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY
for i in $(seq -w 1 11); do ln "$work/big-images/000.png" "$work/big-images/0$i.png"; done
refuses folder-too-large 1 "big-images: 12 images of 3x8192x8192 decode to 2415919104 bytes, over the limit of 1073741824" "$ganzoo" train dcgan --data "$work/big-images" --batch 4 --steps 1 --threads 1 --device cpu --out "$work/big-run"

# --- Low 8: values that were accepted silently ---------------------------------------------------
refuses seed-negative 2 "--seed: a seed is a whole number 0..18446744073709551615, got '-1'" "$ganzoo" sample "$model" --seed -1 -n 1 -o "$work/x.png"
refuses seed-too-big 2 "got '18446744073709551616'" "$ganzoo" sample "$model" --seed 18446744073709551616 -n 1 -o "$work/x.png"
refuses seed-empty 2 "got ''" "$ganzoo" sample "$model" --seed "" -n 1 -o "$work/x.png"
refuses train-seed-negative 2 "--seed: a seed is a whole number" "$ganzoo" train dcgan --seed -1 --out "$work/r-seed"
refuses interpolate-seed-negative 2 "--from: a seed is a whole number" "$ganzoo" interpolate "$model" --from -1 -o "$work/x.png"
refuses label-negative 2 "--label" "$ganzoo" sample "$(dirname "$model")/cgan.safetensors" --label -1 -n 1 -o "$work/x.png"
refuses columns-zero 2 "--columns" "$ganzoo" sample "$model" --columns 0 -n 4 -o "$work/x.png"
refuses columns-negative 2 "--columns" "$ganzoo" sample "$model" --columns -3 -n 4 -o "$work/x.png"
refuses lerp-and-slerp 2 "excludes" "$ganzoo" interpolate "$model" --lerp --slerp -o "$work/x.png"
refuses set-width-fraction 1 "--set width=8.5: width takes a whole number" "$ganzoo" train dcgan --set width=8.5 --limit 64 --batch 16 --out "$work/r-width"
refuses first-overflow 2 "--first" "$ganzoo" sample "$model" --first 9223372036854775807 -n 4 -o "$work/x.png"
mkdir -p "$work/empty-run"
refuses report-empty 1 "empty-run: no log.csv" "$ganzoo" report "$work/empty-run"
check report-empty-wrote-nothing test ! -e "$work/empty-run/report.html"
ok_seed_max() { "$ganzoo" sample "$model" --seed 18446744073709551615 -n 1 -o "$work/max.png" >/dev/null 2>&1; }
check seed-max-accepted ok_seed_max

# --- Low 10: nothing from a file reaches the terminal raw ------------------------------------------
# A model named with ESC [ 31m, OSC 0 (retitle) and C1 CSI (U+009B) in it.
/usr/bin/python3 - "$model" "$work/escapes.safetensors" <<'PY'
import json, struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
header = json.loads(b[8:8 + n])
doc = json.loads(header["__metadata__"]["ganzoo"])
doc["name"] = "evil\x1b[31mred\x1b]0;pwned\x07\u009b2J\x7f"
header["__metadata__"]["ganzoo"] = json.dumps(doc)
text = json.dumps(header).encode()
text += b" " * ((8 - len(text) % 8) % 8)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(text)) + text + b[8 + n:])
PY
raw_free() {  # raw_free FILE : no ESC, BEL, DEL or UTF-8 C1 byte pair in FILE
  ! LC_ALL=C grep -qP '[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' "$1"
}
"$ganzoo" sample "$work/escapes.safetensors" -n 1 -o "$work/x.png" >"$work/out" 2>&1
check escapes-sample raw_free "$work/out"
check escapes-sample-shown grep -qF 'evil\x1b[31mred\x1b]0;pwned\x07\x9b2J\x7f' "$work/out"
"$ganzoo" info "$work/escapes.safetensors" >"$work/out" 2>&1
check escapes-info raw_free "$work/out"
"$ganzoo" sample "$work/escapes.safetensors" --net $'G\e[2J' -n 1 -o "$work/x.png" >"$work/out" 2>&1
check escapes-error raw_free "$work/out"
check escapes-error-shown grep -qF -- '--net G\x1b[2J: the file has no such net' "$work/out"

# --- Low 7: no .tmp after a full disk, and stale ones are removed when a run starts ----------------
tiny_run=(dcgan --limit 64 --batch 16 --width 4 --threads 1 --device cpu --checkpoint-every 1)
stale=$work/stale
"$ganzoo" train "${tiny_run[@]}" --steps 2 --out "$stale" >/dev/null 2>&1
echo partial >"$stale/checkpoints/latest.pt.tmp" && echo partial >"$stale/config.json.tmp"
"$ganzoo" train "${tiny_run[@]}" --steps 2 --resume --out "$stale" >/dev/null 2>&1  # nothing left to train: no checkpoint is written
check stale-tmp-removed-on-resume bash -c "! find '$stale' -name '*.tmp' | grep -q ."
# ENOSPC on a 4 MB tmpfs (root only; skipped where mount is not allowed).
disk=$work/disk && mkdir -p "$disk"
if mount -t tmpfs -o size=4m tmpfs "$disk" 2>/dev/null; then
  trap 'umount "$disk" 2>/dev/null' EXIT
  "$ganzoo" train "${tiny_run[@]}" --steps 2 --out "$disk/run" >/dev/null 2>&1
  free_kb=$(df -k --output=avail "$disk" | tail -1)
  head -c $(( (free_kb - 100) * 1024 )) /dev/zero >"$disk/filler" 2>/dev/null  # 100 KB left: no room for a checkpoint
  refuses disk-full 1 "No space left on device" "$ganzoo" train "${tiny_run[@]}" --steps 4 --resume --out "$disk/run"
  check disk-full-no-tmp bash -c "! find '$disk' -name '*.tmp' | grep -q ."
  rm -f "$disk/filler"
  ok_resume() { "$ganzoo" train "${tiny_run[@]}" --steps 4 --resume --out "$disk/run" >/dev/null 2>&1; }
  check disk-freed-resume ok_resume
  umount "$disk" && trap - EXIT
else
  echo "skip disk-full: mounting a tmpfs is not allowed here"
fi

# --- Low 9: another run's checkpoint (another width, another member) is named, not an assert -------
"$ganzoo" train "${tiny_run[@]}" --steps 1 --out "$work/ck-w4" >/dev/null 2>&1
"$ganzoo" train dcgan --limit 64 --batch 16 --width 8 --threads 1 --device cpu --steps 1 --out "$work/ck-w8" >/dev/null 2>&1
"$ganzoo" train wgan --limit 64 --batch 16 --width 4 --threads 1 --device cpu --steps 1 --out "$work/ck-wgan" >/dev/null 2>&1
cp "$work/ck-w8/checkpoints/latest.pt" "$work/ck-w4/checkpoints/latest.pt"
refuses checkpoint-other-width 1 "latest.pt: the checkpoint's G.0.weight is [784, 100], this run's config builds [392, 100]" "$ganzoo" train "${tiny_run[@]}" --steps 3 --resume --out "$work/ck-w4"
cp "$work/ck-wgan/checkpoints/latest.pt" "$work/ck-w4/checkpoints/latest.pt"
refuses checkpoint-other-member 1 "latest.pt: a checkpoint of wgan, but this run trains dcgan" "$ganzoo" train "${tiny_run[@]}" --steps 3 --resume --out "$work/ck-w4"
refuses export-other-member 1 "latest.pt: a checkpoint of wgan, but this run trains dcgan" "$ganzoo" export "$work/ck-w4" -o "$work/x.safetensors"

echo "$passed passed, $failures failed"
[ $failures -eq 0 ]
