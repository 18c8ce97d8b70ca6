#!/usr/bin/env bash
# Re-trains one shipped member from its manifest entry and compares the numbers:
#   scripts/reproduce.sh [--dry-run] [--ganzoo BIN] FAMILY        (make reproduce MODEL=FAMILY)
# reads web/models/manifest.json's training.command and training.export for FAMILY, runs them
# into runs/FAMILY-repro/ (never over the shipped run or the shipped file), exports
# runs/FAMILY-repro.safetensors, measures it with `ganzoo eval --json --run runs/FAMILY-repro`
# (metrics.jsonl + report.html in the run) and prints the new metrics next to the manifest's.
# --dry-run prints the three commands and runs nothing.
#   scripts/reproduce.sh --shipped [--resume] [--dry-run] [--ganzoo BIN] FAMILY   (make train-FAMILY)
# runs the entry's two commands as recorded: the shipped run and the shipped file (the recipe
# lives in one place, the manifest, which takes it from the file's own training record);
# --resume continues that run (the same command with --resume, for a run spread over sessions).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ganzoo="${GANZOO:-$root/build/native/bin/ganzoo}"
dry_run=0
shipped_mode=0
resume=0
family=""
die() { echo "reproduce: error: $*" >&2; exit 2; }
while (($#)); do
    case "$1" in
        --dry-run) dry_run=1 ;;
        --shipped) shipped_mode=1 ;;
        --resume) resume=1 ;;
        --ganzoo) [[ $# -ge 2 ]] || die "--ganzoo needs a path"; ganzoo="$2"; shift ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option '$1' (use --dry-run, --shipped, --resume, --ganzoo BIN)" ;;
        *) [[ -z "$family" ]] || die "one family at a time (got '$family' and '$1')"; family="$1" ;;
    esac
    shift
done
[[ -n "$family" ]] || die "which member? usage: scripts/reproduce.sh [--shipped [--resume]] [--dry-run] [--ganzoo BIN] FAMILY"
((resume == 0 || shipped_mode == 1)) || die "--resume goes with --shipped (a reproduction starts afresh)"
command -v node >/dev/null || die "node is needed to read web/models/manifest.json"
manifest="$root/web/models/manifest.json"
[[ -f "$manifest" ]] || die "$manifest: not there"

# The entry's two commands, rewritten from runs/FAMILY-shipped to runs/FAMILY-repro (one word a line).
plan="$(node - "$manifest" "$family" "$shipped_mode" <<'EOF'
const [path, family, shippedMode] = process.argv.slice(2);
const fail = (m) => { process.stderr.write(`reproduce: error: ${m}\n`); process.exit(2); };
const manifest = JSON.parse(require('fs').readFileSync(path, 'utf8'));
const entry = manifest.models.find((m) => m.family === family);
if (!entry) fail(`no '${family}' in web/models/manifest.json (have: ${manifest.models.map((m) => m.family).join(' ')})`);
const t = entry.training ?? {};
for (const key of ['command', 'export'])
  if (typeof t[key] !== 'string' || !t[key].startsWith('ganzoo ') || /['"\\$`;|&<>]/.test(t[key]))
    fail(`${family}: training.${key} is not a plain 'ganzoo ...' command: ${JSON.stringify(t[key])}`);
const train = t.command.split(/\s+/), exp = t.export.split(/\s+/);
const repro = `runs/${family}-repro`;
const out = train.indexOf('--out');
if (train[1] !== 'train' || out < 0 || !train[out + 1]) fail(`${family}: training.command has no 'train ... --out DIR'`);
const shipped = train[out + 1];
const o = exp.indexOf('-o');
if (exp[1] !== 'export' || exp[2] !== shipped || o < 0) fail(`${family}: training.export does not export ${shipped} with -o FILE`);
if (shippedMode !== '1') {
  train[out + 1] = repro;
  exp[2] = repro;
  exp[o + 1] = `${repro}.safetensors`;
}
const m = entry.metrics ?? {};
const show = (k) => (typeof m[k] === 'number' ? String(m[k]) : '-');
console.log([train.slice(1).join(' '), exp.slice(1).join(' '), repro,
  ['fd_fmnist', 'fd_floor', 'inception_score', 'swd_average', 'class_accuracy', 'code_class_accuracy', 'q_accuracy'].map((k) => `${k}=${show(k)}`).join(' ')].join('\n'));
EOF
)" || exit $?
mapfile -t lines <<<"$plan"
read -r -a train_args <<<"${lines[0]}"
read -r -a export_args <<<"${lines[1]}"
repro="${lines[2]}"
eval_args=(eval "$repro.safetensors" --json --run "$repro")

((resume)) && train_args+=(--resume)

if ((dry_run)); then
    echo "$ganzoo ${train_args[*]}"
    echo "$ganzoo ${export_args[*]}"
    ((shipped_mode)) || echo "$ganzoo ${eval_args[*]}"
    exit 0
fi

[[ -x "$ganzoo" ]] || die "$ganzoo: no ganzoo binary (make build, or --ganzoo BIN)"
cd "$root"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
if ((shipped_mode)); then
    echo "train-$family: $ganzoo ${train_args[*]}" >&2
    "$ganzoo" "${train_args[@]}"
    echo "train-$family: $ganzoo ${export_args[*]}" >&2
    "$ganzoo" "${export_args[@]}"
    exit 0
fi
[[ ! -e "$repro" ]] || die "$repro exists: remove it (or move it away) to reproduce again"
echo "reproduce: $ganzoo ${train_args[*]}" >&2
"$ganzoo" "${train_args[@]}"
echo "reproduce: $ganzoo ${export_args[*]}" >&2
"$ganzoo" "${export_args[@]}"
echo "reproduce: $ganzoo ${eval_args[*]}" >&2
result="$("$ganzoo" "${eval_args[@]}")"

node - "${lines[3]}" "$result" "$family" <<'EOF'
const [shippedText, resultText, family] = process.argv.slice(2);
const shipped = Object.fromEntries(shippedText.split(' ').map((kv) => kv.split('=')));
const now = JSON.parse(resultText);
const rows = [['FD-FMNIST (classifier features, not Inception)', 'fd_fmnist', 3], ['FD floor', 'fd_floor', 3],
  ['classifier IS', 'inception_score', 3], ['SWD x1e3 average', 'swd_average', 2], ['class accuracy', 'class_accuracy', 4],
  ['code -> class', 'code_class_accuracy', 4], ['Q accuracy', 'q_accuracy', 4]];
console.log(`${family}: the manifest's numbers and the reproduction's`);
console.log(`${'metric'.padEnd(48)} ${'manifest'.padStart(10)} ${'reproduced'.padStart(10)}`);
for (const [label, key, d] of rows) {
  if (shipped[key] === '-' && now[key] === undefined) continue;
  const a = shipped[key] === '-' ? '-' : Number(shipped[key]).toFixed(d);
  const b = typeof now[key] === 'number' ? now[key].toFixed(d) : '-';
  console.log(`${label.padEnd(48)} ${a.padStart(10)} ${b.padStart(10)}`);
}
EOF
