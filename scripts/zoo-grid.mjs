// The zoo at a glance, for the README: one row of 10 images per shipped member, drawn by the
// shipped files through the inference core (`ganzoo sample` / `ganzoo translate`), rows in the
// manifest's order, written to docs/zoo-grid.png (grey, 1 px gaps, 2x) with the rows' names
// and FD-FMNIST in docs/zoo-grid.json, and the README's legend between its zoo-grid markers.
//   usage: node scripts/zoo-grid.mjs [--ganzoo build/native/bin/ganzoo] [--seed 7]
// Unconditional members draw samples 0..9 of the seed; cGAN and InfoGAN one image per class or
// category (the grid's rows of their own `sample`); CycleGAN its held-out A images translated.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPng as readPngFile, writeGreyPng } from './png.mjs';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  const text = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
  process.stdout.write(text.slice(0, text.findIndex((l) => !l.startsWith('//'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
  process.exit(0);
}
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fail = (m) => { process.stderr.write(`zoo-grid: error: ${m}\n`); process.exit(2); };
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
for (let i = 2; i < process.argv.length; i += 2)
  if (!['--ganzoo', '--seed'].includes(process.argv[i])) fail(`unknown argument '${process.argv[i]}' (use --ganzoo BIN, --seed S)`);
const ganzoo = resolve(arg('--ganzoo', join(root, 'build/native/bin/ganzoo')));
const seed = arg('--seed', '7');
if (!/^\d+$/.test(seed)) fail(`--seed must be a whole number, not '${seed}'`);
const manifest = JSON.parse(readFileSync(join(root, 'web/models/manifest.json'), 'utf8'));
const COLUMNS = 10, SIDE = 28, GAP = 1, SCALE = 2;

// A PNG as width, height and at(x, y): its grey level (the first channel).
function readPng(path) {
  let png;
  try { png = readPngFile(path); } catch (e) { fail(e.message); }
  return { width: png.width, height: png.height, at: (x, y) => png.grey[y * png.width + x] };
}

// A grid's cell (col, row): the core's grids put `gap` px between cells of `cell` px; a cell
// larger than 28 (ProGAN's 32) is centre-cropped, as `ganzoo eval` does.
function cells(png, count, columns) {
  const gap = 2, cell = (png.width - (columns - 1) * gap) / columns;
  if (!Number.isInteger(cell) || cell < SIDE) fail(`a ${png.width} px grid is no row of ${columns} cells`);
  const off = (cell - SIDE) >> 1;
  return Array.from({ length: count }, (_, i) => (x, y) =>
    png.at((i % columns) * (cell + gap) + off + x, Math.floor(i / columns) * (cell + gap) + off + y));
}

const work = mkdtempSync(join(tmpdir(), 'zoo-grid-'));
const rows = [];
try {
  for (const entry of manifest.models) {
    const file = join(root, 'web/models', entry.file), png = join(work, `${entry.family}.png`);
    let images;
    if (entry.metrics?.fd_ab !== undefined || entry.family === 'cyclegan') {
      // x, G_AB(x), G_BA(G_AB(x)) rows for A, then B: the first five inputs of A and their translations.
      execFileSync(ganzoo, ['translate', file, '--examples', '-o', png], { stdio: ['ignore', 'ignore', 'inherit'] });
      const grid = readPng(png), columns = Math.round((grid.width + 2) / (SIDE + 2)), c = cells(grid, 2 * columns, columns);
      images = Array.from({ length: COLUMNS }, (_, i) => c[(i % 2) * columns + (i >> 1)]);  // x, G_AB(x), x, G_AB(x), …
    } else {
      const conditional = entry.family === 'cgan' || entry.family === 'infogan';
      // cGAN / InfoGAN: one row per class (category) by default; the first column of each row.
      const n = conditional ? COLUMNS * COLUMNS : COLUMNS;
      execFileSync(ganzoo, ['sample', file, '--seed', seed, '-n', String(n), '--columns', String(COLUMNS), '-o', png], { stdio: ['ignore', 'ignore', 'inherit'] });
      const grid = readPng(png), c = cells(grid, n, COLUMNS);
      images = conditional ? Array.from({ length: COLUMNS }, (_, k) => c[k * COLUMNS]) : c;
    }
    rows.push({ family: entry.family, title: entry.title, fd: entry.metrics?.fd_fmnist ?? null, domains: entry.metrics?.domains, images });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const cellPx = (SIDE + GAP) * SCALE, width = COLUMNS * cellPx - GAP * SCALE, height = rows.length * cellPx - GAP * SCALE;
const grey = Buffer.alloc(width * height, 40);
rows.forEach((row, r) => row.images.forEach((img, k) => {
  for (let y = 0; y < SIDE * SCALE; ++y)
    for (let x = 0; x < SIDE * SCALE; ++x)
      grey[(r * cellPx + y) * width + k * cellPx + x] = img(Math.floor(x / SCALE), Math.floor(y / SCALE));
}));
writeGreyPng(join(root, 'docs/zoo-grid.png'), width, height, grey);

// The README's legend, between <!-- zoo-grid --> and <!-- /zoo-grid -->.
const samplers = rows.filter((r) => typeof r.fd === 'number');
const best = samplers.reduce((a, r) => (!a || r.fd < a.fd ? r : a), null);
const legend = rows.map((r, i) => `${i + 1}. ${r.title.split(' · ')[0]}` +
  (typeof r.fd === 'number' ? ` (FD-FMNIST ${r.fd.toFixed(2)}${r === best ? ', the best' : ''})` : '') +
  (r.family === 'cgan' ? ': one image per asked class' : r.family === 'infogan' ? ': one image per value of the categorical code'
    : r.family === 'cyclegan' ? `: held-out ${r.domains?.[0] ?? 'domain A'} images, each followed by its translation to ${r.domains?.[1] ?? 'domain B'}` : ''));
const readmePath = join(root, 'README.md'), readme = readFileSync(readmePath, 'utf8');
const re = /<!-- zoo-grid -->[\s\S]*?<!-- \/zoo-grid -->/;
if (!re.test(readme)) fail('README.md has no <!-- zoo-grid --> ... <!-- /zoo-grid --> markers');
const block = ['<!-- zoo-grid -->', `![the zoo: one row per shipped member, seed ${seed}](docs/zoo-grid.png)`, '',
  'Rows, top to bottom (written by `node scripts/zoo-grid.mjs` from the shipped files and the manifest):', '', ...legend, '<!-- /zoo-grid -->'].join('\n');
writeFileSync(`${readmePath}.tmp`, readme.replace(re, block));
renameSync(`${readmePath}.tmp`, readmePath);
console.log(`zoo-grid: docs/zoo-grid.png, ${rows.length} rows; best sampler ${best?.family ?? '-'} (FD ${best?.fd?.toFixed(2) ?? '-'})`);
