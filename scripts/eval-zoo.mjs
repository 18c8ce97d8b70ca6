// Measures every model of web/models/manifest.json with `ganzoo eval --json` and writes the
// numbers into each entry's "metrics" (FD-FMNIST in the project classifier's features, not
// Inception's; its floor; the classifier Inception Score; the SWD per level and its floor; the
// member's own metric). Then `node scripts/results.mjs` rebuilds docs/RESULTS.md from them.
//   usage: node scripts/eval-zoo.mjs [--ganzoo build/native/bin/ganzoo] [--only NAME[,NAME...]] [-n 10000]
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  const text = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
  process.stdout.write(text.slice(0, text.findIndex((l) => !l.startsWith('//'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
  process.exit(0);
}
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
for (let i = 2; i < process.argv.length; i += 2)
  if (!['--ganzoo', '--only', '-n'].includes(process.argv[i]) || process.argv[i + 1] === undefined) {
    process.stderr.write(`eval-zoo: error: unknown argument '${process.argv[i]}' (use --ganzoo BIN, --only NAME[,NAME...], -n COUNT; --help)\n`);
    process.exit(2);
  }
const ganzoo = resolve(arg('--ganzoo', join(root, 'build/native/bin/ganzoo')));
const only = arg('--only', '') ? arg('--only').split(',') : null;
const count = arg('-n', '10000');
const manifestPath = join(root, 'web/models/manifest.json');
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));

const KEEP = ['fd_fmnist', 'fd_floor', 'inception_score', 'inception_score_test', 'class_histogram', 'classes', 'class_accuracy',
  'class_accuracy_per_class', 'code_class_accuracy', 'code_to_class', 'q_accuracy', 'count', 'seed', 'classifier_test_accuracy',
  'swd', 'swd_average', 'swd_floor', 'swd_floor_average', 'swd_resolutions', 'swd_images', 'swd_descriptors_per_image', 'swd_directions'];
for (const entry of manifest.models) {
  if (only && !only.includes(entry.family)) continue;
  const file = join(root, 'web/models', entry.file);
  process.stderr.write(`eval ${entry.file} ...\n`);
  const r = JSON.parse(execFileSync(ganzoo, ['eval', file, '--json', '-n', count], { stdio: ['ignore', 'pipe', 'ignore'] }));
  // The keys above first, in that order; a member's own keys that eval adds later are kept too.
  entry.metrics = Object.fromEntries([...KEEP.filter((k) => k in r), ...Object.keys(r).filter((k) => !KEEP.includes(k))].map((k) => [k, r[k]]));
  entry.metrics.note = 'ganzoo eval: FD-FMNIST is the Fréchet distance in the project classifier\'s features (not Inception)';
  // Written after every model, into the manifest as it is now (read again: entries added while
  // this ran stay), so a long run keeps what it measured.
  const current = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const target = current.models.find((m) => m.file === entry.file);
  if (target) {
    target.metrics = entry.metrics;
    writeFileSync(`${manifestPath}.tmp`, JSON.stringify(current, null, 2) + '\n');
    renameSync(`${manifestPath}.tmp`, manifestPath);
  }
  const f = (v, d) => (typeof v === 'number' ? v.toFixed(d) : '-');
  console.log(`${entry.family.padEnd(15)} FD-FMNIST ${f(r.fd_fmnist, 2).padStart(6)}  floor ${f(r.fd_floor, 3)}  IS ${f(r.inception_score, 2)}` +
    (r.class_accuracy !== undefined ? `  class accuracy ${(100 * r.class_accuracy).toFixed(1)}%` : '') +
    (r.code_class_accuracy !== undefined ? `  code→class ${(100 * r.code_class_accuracy).toFixed(1)}%  Q ${(100 * r.q_accuracy).toFixed(1)}%` : '') +
    (r.swd !== undefined ? `  SWD×1e3 ${r.swd.map((d) => d.toFixed(1)).join('/')} avg ${r.swd_average.toFixed(1)} (floor ${r.swd_floor_average.toFixed(1)})` : ''));
}

