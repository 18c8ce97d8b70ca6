// Writes docs/RESULTS.md, the zoo's results page, from web/models/manifest.json (the metrics of
// every shipped model, rewritten by scripts/eval-zoo.mjs), docs/results/members.json (the cards'
// prose), docs/results/measurements.md (the measurements that are not per member) and the run
// files collected into docs/results/. Nothing in RESULTS.md is typed by hand. It also keeps the
// manifest's "baseline" (the 2-epoch DCGAN's FD-FMNIST and SWD average, from
// docs/results/dcgan-2ep.json): the one copy of the bar the page, the widget and the studio read.
//
//   node scripts/results.mjs             build docs/RESULTS.md (works on a clean clone)
//   node scripts/results.mjs --collect   first copy what the page needs out of each shipped run (the
//                                        --out of the manifest's training command, runs/<family>-shipped)
//                                        (git-ignored): log.csv → <family>-curves.svg and
//                                        <family>-log.json (per-epoch means), samples/epoch_*.png →
//                                        <family>-timeline.png (the same latents at a few epochs)
//   --runs DIR                           where the run directories are (default runs/)
import { existsSync, readFileSync, writeFileSync, renameSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as png from './png.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const known = new Set(['--collect', '--runs', '--help', '-h']);
for (let i = 0; i < args.length; ++i) {
  if (!known.has(args[i])) fail(`unknown argument '${args[i]}' (use --collect, --runs DIR)`);
  if (args[i] === '--runs') ++i;
}
if (args.includes('--help') || args.includes('-h')) {
  console.log('usage: node scripts/results.mjs [--collect [--runs DIR]]: writes docs/RESULTS.md');
  process.exit(0);
}
const runsIndex = args.indexOf('--runs');
if (runsIndex >= 0 && !args[runsIndex + 1]) fail('--runs needs a directory');
const runsDir = resolve(runsIndex >= 0 ? args[runsIndex + 1] : join(root, 'runs'));
const docs = join(root, 'docs');
const out = join(docs, 'results');

function fail(message) {
  process.stderr.write(`results: error: ${message}\n`);
  process.exit(1);
}
function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    fail(`${path}: ${e.message.split('\n')[0]}`);
  }
}
function writeAtomically(path, data) {
  writeFileSync(`${path}.tmp`, data);
  renameSync(`${path}.tmp`, path);
}

// PNG: scripts/png.mjs; a file it cannot read ends the script with one line.
function readPng(path) {
  try {
    return png.readPng(path);
  } catch (e) {
    fail(e.message);
  }
}
const writeGreyPng = png.writeGreyPng;
// ---------------------------------------------------------------------------------------------
// --collect: the shipped run (runs/<family>-shipped or its recipe's --out) → docs/results/<family>-{log.json,curves.svg,timeline.png}.
function parseLog(path) {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim());
  const header = lines[0].split(',');
  // WGAN, WGAN-GP and ProGAN count critic steps: critic_step first, generator_step last.
  if (!['step', 'critic_step'].includes(header[0]) || header[1] !== 'epoch') fail(`${path}: expected a log.csv starting with step,epoch or critic_step,epoch`);
  const rows = [];
  for (const line of lines.slice(1)) {
    const cells = line.split(',').map(Number);
    if (cells.length === header.length) rows.push(cells);
  }
  if (!rows.length) fail(`${path}: no rows`);
  return { header, rows };
}

const SKIP_CURVES = new Set(['images_per_s', 'elapsed_s', 'generator_step']);
function curvesSvg(title, header, rows) {
  const columns = header.slice(2).filter((c) => !SKIP_CURVES.has(c));
  const W = 300, H = 150, top = 22, bottom = 16, pad = 6, perRow = 3;
  const total = { w: Math.min(columns.length, perRow) * (W + 10), h: Math.ceil(columns.length / perRow) * (H + 10) + 24 };
  const firstStep = rows[0][0], lastStep = rows[rows.length - 1][0];
  // Epoch boundaries (the first step of each epoch after the first).
  const bounds = [];
  for (let i = 1; i < rows.length; ++i) if (rows[i][1] !== rows[i - 1][1]) bounds.push(rows[i][0]);
  let svg = `<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 ${total.w} ${total.h}' width='${total.w}' height='${total.h}' font-family='system-ui,sans-serif' font-size='11'>` +
    `<rect width='100%' height='100%' fill='#fff'/><text x='4' y='15' font-size='13' font-weight='600'>${title}: log.csv, bucket means (≤ 200 points), dotted lines = epochs</text>`;
  columns.forEach((name, k) => {
    const col = header.indexOf(name), ox = (k % perRow) * (W + 10), oy = 24 + Math.floor(k / perRow) * (H + 10);
    const buckets = Math.min(rows.length, 200), points = [];
    for (let b = 0; b < buckets; ++b) {
      const lo = Math.floor((b * rows.length) / buckets), hi = Math.max(lo + 1, Math.floor(((b + 1) * rows.length) / buckets));
      let sum = 0, n = 0;
      for (let i = lo; i < hi; ++i) if (Number.isFinite(rows[i][col])) { sum += rows[i][col]; ++n; }
      if (n) points.push([rows[Math.floor((lo + hi - 1) / 2)][0], sum / n]);
    }
    if (!points.length) return;
    let y0 = Math.min(...points.map((p) => p[1])), y1 = Math.max(...points.map((p) => p[1]));
    if (y1 <= y0) y1 = y0 + 1e-9;
    const x1 = lastStep > firstStep ? lastStep : firstStep + 1, plotH = H - top - bottom;
    const sx = (s) => ox + pad + ((s - firstStep) / (x1 - firstStep)) * (W - 2 * pad);
    const sy = (v) => oy + top + plotH - pad - ((v - y0) / (y1 - y0)) * (plotH - 2 * pad);
    svg += `<rect x='${ox}' y='${oy + top}' width='${W}' height='${plotH}' fill='#fafafa' stroke='#ddd'/>`;
    for (const s of bounds) svg += `<line x1='${sx(s).toFixed(1)}' x2='${sx(s).toFixed(1)}' y1='${oy + top}' y2='${oy + top + plotH}' stroke='#ccc' stroke-dasharray='2,3'/>`;
    svg += `<text x='${ox + pad}' y='${oy + 14}' font-weight='600'>${name}</text>` +
      `<text x='${ox + W - pad}' y='${oy + 14}' text-anchor='end' fill='#555'>${fmt(y0)} … ${fmt(y1)}</text>` +
      `<polyline fill='none' stroke='#2563eb' stroke-width='1.4' points='${points.map(([s, v]) => `${sx(s).toFixed(1)},${sy(v).toFixed(1)}`).join(' ')}'/>` +
      `<text x='${ox + pad}' y='${oy + H - 4}' fill='#555'>step ${firstStep}</text><text x='${ox + W - pad}' y='${oy + H - 4}' text-anchor='end' fill='#555'>${lastStep}</text>`;
  });
  return svg + '</svg>\n';
}
function fmt(v) {
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : Number(v.toPrecision(3)).toString();
}

// Up to five epochs, first and last included, evenly spaced.
function pickEpochs(epochs) {
  if (epochs.length <= 5) return epochs;
  return [...new Set([0, 1, 2, 3, 4].map((i) => epochs[Math.round((i * (epochs.length - 1)) / 4)]))];
}

// The top-left 4×4 samples of each chosen epoch's grid, side by side (8-pixel gaps).
function timelinePng(path, grids, cell, padding) {
  const crops = grids.map((g) => {
    const side = 4 * cell + 3 * padding;
    if (g.png.width < side || g.png.height < side) fail(`${g.file}: a grid smaller than 4x4 samples of ${cell} px`);
    return { side, png: g.png };
  });
  const side = crops[0].side, gap = 8, width = crops.length * side + (crops.length - 1) * gap;
  const grey = Buffer.alloc(width * side, 255);
  crops.forEach(({ png }, k) => {
    for (let y = 0; y < side; ++y) png.grey.copy(grey, y * width + k * (side + gap), y * png.width, y * png.width + side);
  });
  writeGreyPng(path, width, side, grey);
}

// The run a shipped file came from: the --out of its manifest entry's training command
// (runs/<family>-shipped when the entry names none).
function shippedRun(family, manifest) {
  const words = manifest.models.find((e) => e.family === family)?.training?.command?.split(/\s+/) ?? [];
  const i = words.indexOf('--out');
  const dir = i >= 0 && words[i + 1] ? words[i + 1] : `runs/${family}-shipped`;
  return { rel: dir, path: join(runsDir, dir.replace(/^runs\//, '')) };
}

function collect(members, manifest) {
  for (const m of members) {
    const { rel, path: run } = shippedRun(m.family, manifest);
    if (!existsSync(join(run, 'log.csv'))) {
      process.stderr.write(`results: ${run}/log.csv: not there, ${m.family} keeps what docs/results/ has\n`);
      continue;
    }
    // Only the finished run the shipped file came from: a run stopped part-way (summary
    // "interrupted") or trained with another recipe than the manifest's is not that file's. A run
    // a time limit stopped and that shipped as it was (ship.mjs --stopped) is, at the step its
    // recipe's stop_step names.
    const shippedTraining = manifest.models.find((e) => e.family === m.family)?.training;
    const shippedCommand = shippedTraining?.command;
    const stopStep = Number(shippedCommand?.match(/ --set stop_step=(\d+)(?= |$)/)?.[1] ?? 0);
    const summaryPath = join(run, 'summary.json');
    const runSummary = existsSync(summaryPath) ? readJson(summaryPath) : null;
    const finished = runSummary && (!runSummary.interrupted || runSummary.steps === stopStep);
    if (!finished) {
      process.stderr.write(`results: ${run}: not finished (still training?), ${m.family} keeps what docs/results/ has\n`);
      continue;
    }
    const config = existsSync(join(run, 'config.json')) ? readJson(join(run, 'config.json')) : {};
    // A run continued with --resume: the manifest keeps every command it ran (ship.mjs); a stopped
    // one ran its recipe without the stop_step that ship.mjs added.
    const ranBy = (shippedTraining?.commands ? shippedTraining.commands[0] : shippedCommand)
      ?.replace(/ --set stop_step=\d+(?= |$)/, '');
    if (shippedCommand && config.command !== ranBy) {
      process.stderr.write(`results: ${run} was trained by '${config.command}', not the shipped recipe; ${m.family} keeps what docs/results/ has\n`);
      continue;
    }
    const { header, rows } = parseLog(join(run, 'log.csv'));
    const perEpoch = new Map();
    for (const r of rows) {
      const e = perEpoch.get(r[1]) ?? { epoch: r[1], steps: 0, sums: new Array(header.length).fill(0), counts: new Array(header.length).fill(0) };
      e.steps += 1;
      r.forEach((v, i) => { if (Number.isFinite(v)) { e.sums[i] += v; e.counts[i] += 1; } });
      perEpoch.set(r[1], e);
    }
    const epochs = [...perEpoch.values()].map((e) => ({
      epoch: e.epoch, steps: e.steps,
      means: Object.fromEntries(header.slice(2).map((h, i) => [h, e.counts[i + 2] ? e.sums[i + 2] / e.counts[i + 2] : null])),
    }));
    const samples = join(run, 'samples');
    const gridFiles = existsSync(samples) ? readdirSync(samples).filter((f) => /^epoch_\d+\.png$/.test(f)).sort() : [];
    const chosen = pickEpochs(gridFiles.map((f) => Number(f.match(/\d+/)[0])));
    if (chosen.length) {
      const grids = chosen.map((e) => {
        const file = join(samples, `epoch_${String(e).padStart(3, '0')}.png`);
        return { file, png: readPng(file) };
      });
      // A grid is k cells with 2 px between them (tile_grid; k depends on the member): the cell
      // is the dataset's side, or what the member draws instead (ProGAN: 32 px).
      const width = grids[0].png.width, side = config.dataset?.image?.[2] ?? 28;
      const cell = [side, 32, 64, 128].find((c) => (width + 2) % (c + 2) === 0);
      if (!cell) fail(`${grids[0].file}: a ${width} px grid is no row of ${side}, 32, 64 or 128 px cells with 2 px gaps`);
      timelinePng(join(out, `${m.family}-timeline.png`), grids, cell, 2);
    }
    writeAtomically(join(out, `${m.family}-curves.svg`), curvesSvg(m.name, header, rows));
    const summary = {
      from: rel, command: config.command ?? null, columns: header.slice(2),
      steps: rows[rows.length - 1][0], elapsed_s: rows[rows.length - 1][header.indexOf('elapsed_s')] ?? null,
      timeline_epochs: chosen, epochs,
    };
    writeAtomically(join(out, `${m.family}-log.json`), JSON.stringify(summary, null, 1) + '\n');
    console.log(`collected ${m.family}: ${rows.length} log rows, ${epochs.length} epochs, timeline epochs ${chosen.join(', ') || 'none'}`);
  }
}

// The quality bar: runs/dcgan-2ep (the shipped DCGAN recipe stopped after 2 epochs), exported to
// runs/dcgan-2ep.safetensors and measured with --run: its latest metrics.jsonl line.
const BASELINE_COMMANDS = [
  'ganzoo train dcgan --epochs 2 --seed 1 --threads 1 --out runs/dcgan-2ep',
  'ganzoo export runs/dcgan-2ep -o runs/dcgan-2ep.safetensors          # F16, not shipped',
  'ganzoo eval runs/dcgan-2ep.safetensors --run runs/dcgan-2ep         # appends to runs/dcgan-2ep/metrics.jsonl',
  'ganzoo sample runs/dcgan-2ep.safetensors --seed 7 -n 64 --scale 1 -o docs/results/dcgan-2ep-grid.png',
];
function collectBaseline() {
  const run = join(runsDir, 'dcgan-2ep'), jsonl = join(run, 'metrics.jsonl');
  if (!existsSync(jsonl)) {
    process.stderr.write(`results: ${jsonl}: not there, the baseline keeps docs/results/dcgan-2ep.json\n`);
    return;
  }
  const lines = readFileSync(jsonl, 'utf8').split('\n').filter((l) => l.trim());
  const last = JSON.parse(lines[lines.length - 1]);
  const summary = readJson(join(run, 'summary.json'));
  const baseline = {
    about: 'The 2-epoch DCGAN baseline of docs/RESULTS.md, collected by `node scripts/results.mjs --collect` from runs/dcgan-2ep.',
    commands: BASELINE_COMMANDS, steps: summary.steps, wall_time_s: Math.round(summary.wall_s),
    device: `${summary.device} (${summary.threads} thread of 2 cores, OpenBLAS; machine shared)`,
    evaluated: last.time, metrics: last.metrics,
  };
  writeAtomically(join(out, 'dcgan-2ep.json'), JSON.stringify(baseline, null, 1) + '\n');
  console.log(`collected the baseline: FD-FMNIST ${last.metrics.fd_fmnist.toFixed(2)}, evaluated ${last.time}`);
}

// The bar as the front ends read it (web/baseline.js for the page and the widget, the studio's
// model card): web/models/manifest.json's "baseline", after "version", from docs/results/dcgan-2ep.json.
// Rewritten only when it changes; without the baseline's file the manifest keeps what it has.
function manifestBaseline(baseline) {
  if (!baseline) return;
  const path = join(root, 'web/models/manifest.json');
  const b = baseline.metrics;
  if (typeof b?.fd_fmnist !== 'number' || typeof b?.swd_average !== 'number') fail('docs/results/dcgan-2ep.json: no fd_fmnist and swd_average');
  const want = {
    name: 'DCGAN, 2 epochs (not shipped)',
    fd_fmnist: b.fd_fmnist,
    swd_average: b.swd_average,
    source: 'docs/results/dcgan-2ep.json',
    about: 'The quality bar of docs/RESULTS.md. A member whose fd_fmnist or swd_average is higher (worse) than these is ' +
      'below the baseline: the page, the widget and the studio say so. Written by node scripts/results.mjs from the source.',
  };
  const current = readJson(path);  // as it is now (eval-zoo.mjs may have written it since)
  if (JSON.stringify(current.baseline) === JSON.stringify(want)) return;
  const { format, version, baseline: _old, ...rest } = current;
  writeAtomically(path, JSON.stringify({ format, version, baseline: want, ...rest }, null, 2) + '\n');
  console.log(`wrote web/models/manifest.json's baseline: FD-FMNIST ${want.fd_fmnist.toFixed(2)}, SWD ${want.swd_average.toFixed(1)}`);
}

// ---------------------------------------------------------------------------------------------
// The page.
const pct = (v) => `${(100 * v).toFixed(1)} %`;
const num = (v, d) => (typeof v === 'number' ? v.toFixed(d) : '—');
function wall(s) {
  if (typeof s !== 'number') return '—';
  return s >= 3600 ? `${(s / 3600).toFixed(1)} h` : `${Math.round(s / 60)} min`;
}
function ownMetric(m, metrics, log) {
  const parts = [];
  for (const o of m.own) {
    if (o.key && metrics && typeof metrics[o.key] === 'number')
      parts.push(`${o.label} ${o.percent ? pct(metrics[o.key]) : num(metrics[o.key], 3)}`);
    if (o.log && log) {
      const last = log.epochs[log.epochs.length - 1];
      const first = log.epochs[0];
      if (last && typeof last.means[o.log] === 'number')
        parts.push(`${o.label} ${fmt(last.means[o.log])} (epoch 1: ${fmt(first.means[o.log])})`);
    }
  }
  return parts.join('; ') || '—';
}
function levels(list) {
  return Array.isArray(list) ? list.map((v) => v.toFixed(1)).join(' / ') : '—';
}

// "What the paper claims, what we measured": one row per member from its `claim` in
// docs/results/members.json. Each value names a manifest metric (`key`), a number derived from
// the metrics (`derived`), or a log.csv column's first and last epoch means (`log_first_last`);
// `target` is the issue's bar (met / not met), `versus` another member's same metric,
// `best_unconditional` a comparison with every other unconditional sampler.
const DERIVED = {
  min_class_share: (x) => (Array.isArray(x.class_histogram) && x.count ? Math.min(...x.class_histogram) / x.count : undefined),
  ssl_gain: (x) => (typeof x.ssl_d_accuracy === 'number' && typeof x.ssl_baseline_accuracy === 'number'
    ? x.ssl_d_accuracy - x.ssl_baseline_accuracy : undefined),
};
// A claim measured on a run that is not the shipped file (Improved DCGAN's semi-supervised mode)
// names its record in docs/results/: {"command": ..., "metrics": what `ganzoo eval --json` printed}.
function claimRecord(m) {
  const path = m.claim.record ? join(out, m.claim.record) : null;
  return path && existsSync(path) ? readJson(path) : null;
}
function claimValue(v, m, byFamily, log) {
  const x = (m.claim.record ? claimRecord(m)?.metrics : byFamily.get(m.family)?.metrics) ?? {};
  const show = (n) => (v.percent ? pct(n) : v.points ? `${(100 * n).toFixed(1)} points` : num(n, v.digits ?? 3));
  let value, text;
  if (v.log_first_last) {
    const first = log?.epochs?.[0]?.means?.[v.log_first_last], last = log?.epochs?.[log.epochs.length - 1]?.means?.[v.log_first_last];
    if (typeof first !== 'number' || typeof last !== 'number') return `${v.label}: not in the collected log`;
    return `${v.label}: ${fmt(first)} → ${fmt(last)}`;
  }
  value = v.derived ? DERIVED[v.derived]?.(x) : x[v.key];
  if (Array.isArray(value) && value.every((n) => typeof n === 'number')) text = value.map(show).join(' / ');
  else if (typeof value === 'number') text = show(value);
  else return `${v.label}: not measured`;
  if (v.max_key && typeof x[v.max_key] === 'number') text += ` of ${num(x[v.max_key], v.digits ?? 3)}`;
  const notes = [];
  if (typeof v.target === 'number' && typeof value === 'number')
    notes.push(value >= v.target ? `meets ≥ ${show(v.target)}` : `**below the ${show(v.target)} bar**`);
  if (v.versus) {
    const other = byFamily.get(v.versus)?.metrics?.[v.key];
    if (typeof other === 'number' && typeof value === 'number')
      notes.push(`${v.versus}: ${show(other)}, ${value < other ? 'better' : '**not better**'}`);
  }
  if (v.best_unconditional && typeof value === 'number') {
    const rivals = [...byFamily.values()].filter((e) => e.family !== m.family && !CONDITIONAL.has(e.family) && typeof e.metrics?.[v.key] === 'number');
    const best = rivals.reduce((a, e) => (!a || e.metrics[v.key] < a.metrics[v.key] ? e : a), null);
    if (best) notes.push(value < best.metrics[v.key] ? `best unconditional (next: ${best.family} ${show(best.metrics[v.key])})`
      : `**not the best unconditional**: ${best.family} ${show(best.metrics[v.key])}`);
  }
  return `${v.label} ${text}${notes.length ? ` (${notes.join('; ')})` : ''}`;
}
// Members whose samples are asked for a class or translate an input: not "unconditional".
const CONDITIONAL = new Set(['cgan', 'cyclegan']);
function claimsTable(members, byFamily, logs) {
  const L = ['| member | what the paper claims | how it is measured here | what we measured |', '|---|---|---|---|'];
  for (const m of members) {
    if (!m.claim) continue;
    const record = m.claim.record ? claimRecord(m) : null;
    let measured = byFamily.get(m.family) || record
      ? m.claim.values.map((v) => claimValue(v, m, byFamily, logs.get(m.family))).join('; ')
      : 'not yet in the manifest';
    if (record?.command) measured += `; run: \`${record.command}\` (docs/results/${m.claim.record})`;
    const cell = (t) => t.replace(/\|/g, '\\|');  // a | inside a cell would end it
    L.push(`| [${m.name}](#${m.family}) | ${cell(m.claim.paper)} | ${cell(m.claim.how)} | ${cell(measured)} |`);
  }
  return L;
}

function build(members, manifest) {
  const byFamily = new Map(manifest.models.map((e) => [e.family, e]));
  const logs = new Map(members.map((m) => [m.family, existsSync(join(out, `${m.family}-log.json`)) ? readJson(join(out, `${m.family}-log.json`)) : null]));
  const baselinePath = join(out, 'dcgan-2ep.json');
  const baseline = existsSync(baselinePath) ? readJson(baselinePath) : null;
  const anySwd = manifest.models.find((e) => Array.isArray(e.metrics?.swd_resolutions));
  const sides = anySwd ? anySwd.metrics.swd_resolutions.join(' → ') : '28 → 14 → 7';
  const L = [];
  L.push('# Results', '');
  L.push('<!-- Generated by `node scripts/results.mjs` from web/models/manifest.json, docs/results/members.json,',
    '     docs/results/measurements.md and docs/results/*; edit those, not this file. -->', '');
  L.push('Every shipped model of the zoo, measured by `ganzoo eval` on its exported file through the inference core,',
    'with the numbers `node scripts/eval-zoo.mjs` wrote into `web/models/manifest.json`. Rebuild this page with',
    '`node scripts/results.mjs` (add `--collect` to re-copy curves and grids from each shipped run, the `--out` of its recipe).',
    'Reproduce one member: `make reproduce MODEL=<member>` (`scripts/reproduce.sh`).', '');
  L.push('## How the numbers are made', '');
  L.push('- **FD-FMNIST (classifier features, not Inception)**: the Fréchet distance between Gaussians fitted to the',
    '  penultimate features of the project\'s own Fashion-MNIST classifier (`web/models/classifier.safetensors`),',
    '  10,000 generated images of seed 1 against the 10,000 test images. Not comparable with published FIDs. The',
    '  **floor** is the same distance for 10,000 *training* images: what a perfect generator would score.',
    '- **IS**: the Inception Score computed with the same classifier (the test images score ' +
      `${num(manifest.models[0]?.metrics?.inception_score_test, 2)}).`,
    `- **SWD ×10³**: the sliced Wasserstein distance of Karras et al. 2018 (ProGAN, §5 and appendix D): a Laplacian`,
    `  pyramid of each image (${sides} px; the coarsest level is the low-pass image), 7×7 neighbourhoods at random`,
    '  positions, normalized per channel over each level and set, and the distance between the two descriptor sets',
    '  along 4 × 128 random directions, ×10³ per level. Lower is better; the finest level reacts to texture and',
    '  blur, the coarsest to the overall shapes. The paper uses 128 descriptors per image from 16,384 images;',
    `  here ${anySwd ? anySwd.metrics.swd_descriptors_per_image : 8} per image from ` +
      `${anySwd ? anySwd.metrics.swd_images.toLocaleString('en') : '4,096'} images, so that it runs in seconds on a CPU`,
    '  (`native/metrics/swd.{hpp,cpp}`). Its floor is training images against test images.',
    '- Members that draw larger images (ProGAN: 32×32) are centre-cropped to the classifier\'s 28×28 first.',
    '- **own metric**: what the member itself optimises or promises (cGAN: the classifier agrees with the asked',
    '  label; InfoGAN: its categorical code matches the classes under the best one-to-one mapping, and Q reads',
    '  the code back; the Wasserstein members and BEGAN: their convergence signal from log.csv).', '');

  L.push('## The zoo', '');
  L.push('| member | FD-FMNIST ↓ | FD floor | IS ↑ | SWD ×10³ avg ↓ (floor) | own metric | length | wall time | device |');
  L.push('|---|---|---|---|---|---|---|---|---|');
  for (const m of members) {
    const e = byFamily.get(m.family);
    if (!e) {
      L.push(`| [${m.name}](#${m.family}) | not yet in the manifest (being trained; the lead adds it to \`web/models/manifest.json\`) | | | | | | | |`);
      continue;
    }
    const x = e.metrics ?? {}, t = e.training ?? {};
    const length = t.epochs && Number.isInteger(t.epochs) ? `${t.epochs} epochs`
      : t.steps ? `${t.steps.toLocaleString('en')} steps${t.epochs ? ` (${t.epochs} epochs)` : ''}` : '—';
    L.push(`| [${m.name}](#${m.family}) | ${num(x.fd_fmnist, 2)} | ${num(x.fd_floor, 2)} | ${num(x.inception_score, 2)} | ` +
      `${num(x.swd_average, 1)} (${num(x.swd_floor_average, 1)}) | ${ownMetric(m, x, logs.get(m.family))} | ${length} | ${wall(t.wall_time_s)} | ${t.device ?? '—'} |`);
  }
  if (baseline) {
    const x = baseline.metrics;
    L.push(`| *baseline: DCGAN, 2 epochs (not shipped)* | ${num(x.fd_fmnist, 2)} | ${num(x.fd_floor, 2)} | ${num(x.inception_score, 2)} | ` +
      `${num(x.swd_average, 1)} (${num(x.swd_floor_average, 1)}) | — | 2 epochs | ${wall(baseline.wall_time_s)} | ${baseline.device} |`);
  }
  L.push('');
  L.push(`SWD per level, finest → coarsest (${sides} px), generated vs test; the floor row is train vs test:`, '');
  L.push('| member | SWD ×10³ per level | average |', '|---|---|---|');
  let floorRow = null;
  for (const m of members) {
    const x = byFamily.get(m.family)?.metrics;
    if (!x || !Array.isArray(x.swd)) continue;
    L.push(`| ${m.name} | ${levels(x.swd)} | ${num(x.swd_average, 1)} |`);
    floorRow ??= x;
  }
  if (baseline?.metrics?.swd) L.push(`| *baseline: DCGAN, 2 epochs* | ${levels(baseline.metrics.swd)} | ${num(baseline.metrics.swd_average, 1)} |`);
  if (floorRow) L.push(`| *floor: ${floorRow.swd_images.toLocaleString('en')} train images* | ${levels(floorRow.swd_floor)} | ${num(floorRow.swd_floor_average, 1)} |`);
  L.push('');

  L.push('## What the papers claim, what we measured', '');
  L.push('Each member\'s headline claim, how this zoo measures it, and the number for the shipped file (from the',
    'manifest; bars are the zoo\'s targets, docs/members/<member>.md says what was tried where one is not met):', '');
  L.push(...claimsTable(members, byFamily, logs), '');

  if (baseline) {
    L.push('## The quality bar: a plain DCGAN after 2 epochs', '');
    L.push('A member that does not beat this row has not earned its extra machinery. The shipped DCGAN recipe, stopped',
      `after 2 epochs (${baseline.steps} steps, ${wall(baseline.wall_time_s)} on ${baseline.device}), exported to F16 and measured the same way`,
      '(the file is not shipped; its numbers live in `docs/results/dcgan-2ep.json`, and its FD-FMNIST and SWD average',
      'in `web/models/manifest.json`\'s `baseline`, where the page, the widget and the studio read them: a member worse',
      'on either says so there, with a pointer to its page):', '');
    L.push('```sh', ...baseline.commands, '```', '');
    if (existsSync(join(out, 'dcgan-2ep-grid.png'))) L.push('![DCGAN after 2 epochs, seed 7](results/dcgan-2ep-grid.png)', '');
    // Where each member stands against the bar (FD and SWD vs this baseline) and the floor.
    const b = baseline.metrics;
    L.push('Where each member stands (FD-FMNIST and the SWD average, lower is better; "× floor" is FD-FMNIST / the FD floor):', '',
      '| member | FD-FMNIST vs the baseline\'s | SWD avg vs the baseline\'s | × floor |', '|---|---|---|---|');
    for (const m of members) {
      const x = byFamily.get(m.family)?.metrics;
      if (!x || typeof x.fd_fmnist !== 'number') continue;
      const mark = (v, ref) => (typeof v === 'number' && typeof ref === 'number' ? `${num(v, v < 100 ? 2 : 1)} ${v < ref ? 'beats' : '**does not beat**'} ${num(ref, 2)}` : '—');
      L.push(`| ${m.name} | ${mark(x.fd_fmnist, b.fd_fmnist)} | ${mark(x.swd_average, b.swd_average)} | ${(x.fd_fmnist / x.fd_floor).toFixed(0)}× |`);
    }
    L.push('', 'The bar asks every member to beat the baseline and the best one to come within 3× of the floor. ' +
      'CycleGAN translates rather than samples: its own numbers are in its card.', '');
  }

  L.push('## The members', '');
  for (const m of members) {
    const e = byFamily.get(m.family), log = logs.get(m.family);
    L.push(`### ${m.name}`, '', `<a id="${m.family}"></a>${m.paper}. Details: [${m.page.replace(/^\.\.\//, '')}](${m.page}).`, '');
    L.push(`- **What it changed**: ${m.changed}`, `- **When to use it**: ${m.use_when}`);
    if (e) {
      const x = e.metrics ?? {}, t = e.training ?? {};
      if (typeof x.fd_ab === 'number') {
        // A translator (CycleGAN): its test split translated, not samples from noise.
        L.push(`- **Its numbers**: ${ownMetric(m, x, log)}; cycle L1 |x − G_BA(G_AB(x))| ${num(x.cycle_l1_a, 4)} (A), ` +
          `${num(x.cycle_l1_b, 4)} (B); FD-FMNIST of G_AB(test A) vs test B ${num(x.fd_ab, 2)}, of G_BA(test B) vs test A ` +
          `${num(x.fd_ba, 2)} (untranslated A vs B: ${num(x.fd_untranslated, 1)}).`);
      } else {
        L.push(`- **Its numbers**: FD-FMNIST ${num(x.fd_fmnist, 2)} (floor ${num(x.fd_floor, 2)}), IS ${num(x.inception_score, 2)}, ` +
          `SWD ×10³ ${levels(x.swd)} (average ${num(x.swd_average, 1)}); own metric: ${ownMetric(m, x, log)}.`);
      }
      L.push(`- **Training**: \`${t.command}\`, then \`${t.export}\` (${e.dtype}, ${(e.bytes / 1e6).toFixed(2)} MB); ${wall(t.wall_time_s)} on ${t.device}.`);
      if (Array.isArray(x.class_histogram)) {
        const shares = x.class_histogram.map((c) => c / x.count);
        const lo = Math.min(...shares), hi = Math.max(...shares);
        const names = x.classes ?? null;
        L.push(`- **Class coverage** (the classifier's reading of the samples): smallest share ${pct(lo)}` +
          `${names ? ` (${names[shares.indexOf(lo)]})` : ''}, largest ${pct(hi)}${names ? ` (${names[shares.indexOf(hi)]})` : ''}.`);
      }
    } else {
      L.push('- **Its numbers**: not yet in the manifest (the model is being trained; `node scripts/eval-zoo.mjs` measures it once the lead adds it).');
    }
    L.push('');
    const grid = m.grid ?? `members/${m.family}-grid.png`;
    const translator = typeof e?.metrics?.fd_ab === 'number';
    if (existsSync(join(docs, grid)))
      L.push(translator ? 'Held-out test images of the shipped file (`ganzoo translate --examples`): x, G_AB(x), G_BA(G_AB(x)) for domain A, then the same from B:'
                        : 'Samples of the shipped file (`ganzoo sample`):', '', `<img src="${grid}" width="${translator ? 720 : 240}" alt="${m.name} samples">`, '');
    if (existsSync(join(out, `${m.family}-curves.svg`))) L.push(`Training curves (from \`${log?.from ?? 'log.csv'}/log.csv\`):`, '', `![${m.name} curves](results/${m.family}-curves.svg)`, '');
    if (log?.timeline_epochs?.length && existsSync(join(out, `${m.family}-timeline.png`))) {
      L.push(`Timeline, the same 16 ${translator ? 'held-out images' : 'latents'} at epochs ${log.timeline_epochs.join(', ')} (left to right; the run's fixed-seed grids):`, '',
        `![${m.name} timeline](results/${m.family}-timeline.png)`, '');
    }
  }
  const measurements = join(out, 'measurements.md');
  if (existsSync(measurements)) L.push(readFileSync(measurements, 'utf8').trimEnd(), '');
  writeAtomically(join(docs, 'RESULTS.md'), L.join('\n'));
  // The same row in each member's page, between the markers (added at the end the first time).
  for (const m of members) {
    const page = join(docs, 'members', `${m.family}.md`);
    if (!m.claim || !existsSync(page)) continue;
    const rows = claimsTable([m], byFamily, logs).map((r) => r.replace(`[${m.name}](#${m.family})`, m.name));
    const block = ['<!-- claims: generated by `node scripts/results.mjs` from docs/results/members.json and the manifest -->',
      ...rows, '<!-- /claims -->'].join('\n');
    const text = readFileSync(page, 'utf8');
    const re = /<!-- claims:[^\n]*-->[\s\S]*?<!-- \/claims -->/;
    const next = re.test(text) ? text.replace(re, block)
      : `${text.trimEnd()}\n\n## What the paper claims, what we measured\n\n${block}\n`;
    if (next !== text) writeAtomically(page, next);
  }
  console.log(`wrote docs/RESULTS.md: ${members.length} members, ${manifest.models.length} in the manifest${baseline ? ', the 2-epoch baseline' : ''}`);
}

const members = readJson(join(out, 'members.json')).members;
if (!Array.isArray(members) || !members.length) fail('docs/results/members.json: no members');
const manifest = readJson(join(root, 'web/models/manifest.json'));
if (manifest.format !== 'ganzoo-manifest' || !Array.isArray(manifest.models)) fail('web/models/manifest.json: not a ganzoo manifest');
if (args.includes('--collect')) {
  if (!existsSync(runsDir)) fail(`${runsDir}: no such directory`);
  collect(members, manifest);
  collectBaseline();
}
build(members, manifest);
manifestBaseline(existsSync(join(out, 'dcgan-2ep.json')) ? readJson(join(out, 'dcgan-2ep.json')) : null);
