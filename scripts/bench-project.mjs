// Projection measured (docs/projection.md, "Measured"): every shipped member with a latent projects
// held-out Fashion-MNIST test images (the first N of each class, never seen in training) with
// `ganzoo project`'s defaults (300 steps, 4 starts, seed 0, the perceptual term on, a label or code
// search cut to its 2 best values after step 60), and the table reports per member the
// reconstruction error (pixel MSE and classifier-feature MSE), how often the classifier puts the
// projection in the target's class, and the time per projection: natively (the CLI, 1 thread and
// every core) and in Chromium (m.project on a plain page: the single-threaded core; on a
// cross-origin isolated one: the threaded core), side by side on the same images, the browser's
// z checked against the CLI's.
//
//   node scripts/bench-project.mjs [--members dcgan,cgan,...] [--per-class N] [--out DIR]
//        [--timing K] [--no-browser] [--threads T] [--grids DIR] [--table]
//
// --per-class N   test images per class (default 100: 1,000 per member)
// --threads T     the CLI's threads for the quality sweep (default 0: every core; the z is the same
//                 for any count, so the sweep may run on all of them)
// --timing K      the first K images of the sweep are also timed at 1 thread and at every core, and
//                 in the browser at 1 thread and threaded (default 5)
// --out DIR       results, one JSON line per projection (default runs/bench-project): a stopped run
//                 continues where it was, so a sweep may span several sessions
// --grids DIR     writes MEMBER-projection.png: one test image per class (top) over its projection
// --table         prints the markdown table of what DIR holds, and writes nothing else
// Times depend on the machine and on what else runs on it; the script prints both.
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { readPng, writeGreyPng } from './png.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MEMBERS = ['dcgan', 'improved-dcgan', 'wgan', 'wgan-gp', 'began', 'cgan', 'infogan', 'progan'];
const DATA = '/usr/share/datasets/fashion-mnist';
const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

function options(argv) {
  const o = { members: MEMBERS, perClass: 100, out: join(root, 'runs/bench-project'), timing: 5, browser: true, threads: 0,
              grids: null, table: false, ganzoo: join(root, 'build/native/bin/ganzoo') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    const count = (v, min) => {
      if (!/^\d+$/.test(v) || Number(v) < min) throw new Error(`${a} takes a whole number >= ${min}, got '${v}'`);
      return Number(v);
    };
    if (a === '--members') {
      o.members = next().split(',');
      for (const m of o.members) if (!MEMBERS.includes(m)) throw new Error(`--members: '${m}' has no latent to project onto or is not a member (${MEMBERS.join(', ')})`);
    } else if (a === '--per-class') o.perClass = count(next(), 1);
    else if (a === '--timing') o.timing = count(next(), 0);
    else if (a === '--threads') o.threads = count(next(), 0);
    else if (a === '--out') o.out = resolve(next());
    else if (a === '--grids') o.grids = resolve(next());
    else if (a === '--ganzoo') o.ganzoo = resolve(next());
    else if (a === '--no-browser') o.browser = false;
    else if (a === '--table') o.table = true;
    else if (a === '--help' || a === '-h') {
      console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\nimport ')[0].replace(/^\/\/ ?/gm, ''));
      process.exit(0);
    } else throw new Error(`unknown option '${a}' (--help lists them)`);
  }
  return o;
}

// The test split: images [n][784] bytes and labels.
function testSplit() {
  const images = gunzipSync(readFileSync(join(DATA, 't10k-images-idx3-ubyte.gz')));
  const labels = gunzipSync(readFileSync(join(DATA, 't10k-labels-idx1-ubyte.gz')));
  if (images.readUInt32BE(0) !== 2051 || labels.readUInt32BE(0) !== 2049) throw new Error(`${DATA}: not IDX image/label files`);
  const n = labels.readUInt32BE(4);
  return { count: n, image: (i) => images.subarray(16 + i * 784, 16 + (i + 1) * 784), label: (i) => labels[8 + i] };
}

// The first `perClass` test images of each class, interleaved by class (0, 1, ..., 9, 0, ...), so
// that a sweep stopped early still covers every class evenly.
function selection(split, perClass) {
  const byClass = CLASSES.map(() => []);
  for (let i = 0; i < split.count; i++) if (byClass[split.label(i)].length < perClass) byClass[split.label(i)].push(i);
  const order = [];
  for (let k = 0; k < perClass; k++) for (const c of byClass) if (k < c.length) order.push(c[k]);
  return order;
}

function readResults(file) {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

// `ganzoo project` on test image `index`: its projection.json and the time it printed.
function projectNative(o, member, png, threads, dir) {
  const out = execFileSync(o.ganzoo, ['project', join(root, 'web/models', `${member}.safetensors`), '--target', png,
                                      '--threads', String(threads), '--scale', '1', '-o', dir], { encoding: 'utf8', cwd: root });
  const seconds = Number(/ in ([0-9.]+) s \(/.exec(out)?.[1]);
  const p = JSON.parse(readFileSync(join(dir, 'projection.json'), 'utf8'));
  return { p, seconds };
}

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;

async function browserTimes(o, member, targets) {
  const { chromium } = createRequire(join(root, 'tests/web/package.json'))('playwright-core');
  const { serve } = await import(join(root, 'tests/web/serve.mjs'));
  const files = mkdtempSync(join(tmpdir(), 'ganzoo-bench-project-'));
  targets.forEach((t, i) => writeFileSync(join(files, `t${i}.png`), readFileSync(t.png)));
  const user = mkdtempSync(join(tmpdir(), 'ganzoo-bench-chromium-'));
  const plain = await serve({ root: join(root, 'web'), mounts: { '/t/': files } });
  const isolated = await serve({ root: join(root, 'web'), isolate: true, mounts: { '/t/': files } });
  const browser = await chromium.launchPersistentContext(user, { executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  const out = {};
  try {
    for (const [name, server] of [['single', plain], ['threaded', isolated]]) {
      const page = await browser.newPage();
      await page.goto(`${server.url}embed.html`);
      out[name] = await page.evaluate(async ({ member, n }) => {
        const g = await import('/ganzoo.js');
        const m = await g.load(`/models/${member}.safetensors`);
        const runs = [];
        for (let i = 0; i < n; i++) {
          const img = new Image();
          img.src = `/t/t${i}.png`;
          await img.decode();
          const r = await m.project({ image: img });
          runs.push({ ms: r.ms, z: r.z, threads: r.threads, isolated: crossOriginIsolated });
        }
        return runs;
      }, { member, n: targets.length });
      await page.close();
    }
  } finally {
    await browser.close();
    await plain.close();
    await isolated.close();
    for (const d of [files, user]) rmSync(d, { recursive: true, force: true });
  }
  return out;
}

function table(o) {
  const rows = [];
  for (const member of o.members) {
    const all = readResults(join(o.out, `${member}.jsonl`));
    const r = all.filter((x) => x.kind === 'sweep'), t = all.filter((x) => x.kind === 'timing');
    if (!r.length) continue;
    const kept = r.filter((x) => x.result_class === x.target_class).length, truth = r.filter((x) => x.result_class === x.label).length;
    const perClass = CLASSES.map((_, c) => r.filter((x) => x.label === c).length);
    const time = (k) => {
      const v = t.filter((x) => x.how === k).map((x) => x.seconds);
      return v.length ? `${mean(v).toFixed(v.length && mean(v) < 10 ? 2 : 1)}` : '–';
    };
    const zdiff = Math.max(0, ...t.filter((x) => x.how.startsWith('browser')).map((x) => x.z_diff));
    const threads = [...new Set(t.filter((x) => x.how === 'native-all' || x.how === 'browser-threaded').map((x) => `${x.threads}`))].join('/');
    rows.push(`| ${member} | ${r.length} (${Math.min(...perClass)}–${Math.max(...perClass)} per class) | ${mean(r.map((x) => x.pixel_mse)).toFixed(4)} (${median(r.map((x) => x.pixel_mse)).toFixed(4)}) | ` +
              `${mean(r.map((x) => x.feature_mse)).toFixed(3)} (${median(r.map((x) => x.feature_mse)).toFixed(3)}) | ${(100 * kept / r.length).toFixed(1)} % | ${(100 * truth / r.length).toFixed(1)} % | ` +
              `${time('native-1')} / ${time('native-all')} | ${time('browser-single')} / ${time('browser-threaded')} | ${threads || '–'} | ${t.length ? zdiff.toExponential(1) : '–'} |`);
  }
  return ['| member | test images | pixel MSE, mean (median) | feature MSE, mean (median) | class kept | true class | native s, 1 thread / all | browser s, 1 thread / threaded | threads | max \\|z_browser − z_CLI\\| |',
          '|---|---|---|---|---|---|---|---|---|---|', ...rows].join('\n');
}

// MEMBER-projection.png: the first test image of each class (top row) over its projection (bottom),
// enlarged 3×, from the sweep's saved results.
function grid(o, member) {
  const res = readResults(join(o.out, `${member}.jsonl`)).filter((x) => x.kind === 'sweep');
  const picks = CLASSES.map((_, c) => res.find((x) => x.label === c && x.target_pixels)).filter(Boolean);
  if (!picks.length) return;
  const side = picks[0].size, scale = 3, gap = 2, cell = side * scale, w = picks.length * (cell + gap) - gap, h = 2 * cell + gap;
  const img = new Uint8Array(w * h);
  picks.forEach((x, col) => {
    for (const [row, pixels] of [[0, x.target_pixels], [1, x.result_pixels]])
      for (let y = 0; y < cell; y++) for (let xx = 0; xx < cell; xx++)
        img[(row * (cell + gap) + y) * w + col * (cell + gap) + xx] = pixels[Math.floor(y / scale) * side + Math.floor(xx / scale)];
  });
  mkdirSync(o.grids, { recursive: true });
  writeGreyPng(join(o.grids, `${member}-projection.png`), w, h, Buffer.from(img));
}

async function main() {
  const o = options(process.argv.slice(2));
  if (o.table) return console.log(table(o));
  if (!existsSync(o.ganzoo)) throw new Error(`no ${o.ganzoo}: build it first (make build)`);
  const split = testSplit(), order = selection(split, o.perClass), cores = cpus().length;
  mkdirSync(o.out, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'ganzoo-bench-project-'));
  console.log(`bench-project: ${o.members.length} members × ${order.length} test images (${o.perClass} per class), ${cores} cores; results in ${o.out}`);
  try {
    for (const member of o.members) {
      const file = join(o.out, `${member}.jsonl`);
      const done = new Set(readResults(file).filter((x) => x.kind === 'sweep').map((x) => x.index));
      const timed = new Set(readResults(file).filter((x) => x.kind === 'timing').map((x) => `${x.how}:${x.index}`));
      // The target at the model's size: ProGAN draws 32×32 and was trained on the 28×28 images
      // padded with 2 pixels of background each side (as eval crops its samples back), so its
      // targets are padded, not resized.
      const [, side] = JSON.parse(execFileSync(o.ganzoo, ['info', join(root, 'web/models', `${member}.safetensors`)], { encoding: 'utf8' })).dataset.image;
      const pad = (pixels) => {
        if (side === 28) return pixels;
        const m = (side - 28) / 2, out = Buffer.alloc(side * side);
        for (let y = 0; y < 28; y++) pixels.copy(out, (y + m) * side + m, y * 28, (y + 1) * 28);
        return out;
      };
      const targets = [];
      for (const [n, index] of order.entries()) {
        const png = join(work, `test${index}-${side}.png`);
        writeGreyPng(png, side, side, pad(split.image(index)));
        if (n < o.timing) targets.push({ index, png });
        if (done.has(index)) continue;
        const dir = join(work, `${member}-${index}`);
        const { p, seconds } = projectNative(o, member, png, o.threads, dir);
        // The first image of each class keeps its pair (the target as the model saw it, resized
        // for ProGAN's 32×32, and the result: compare.png at scale 1, a 2-pixel gap between) for the grid.
        const pair = n < CLASSES.length ? readPng(join(dir, 'compare.png')) : null;
        const cut = (x0) => pair && Array.from({ length: pair.height * pair.height }, (_, i) => pair.grey[Math.floor(i / pair.height) * pair.width + x0 + (i % pair.height)]);
        appendFileSync(file, JSON.stringify({
          kind: 'sweep', member, index, label: split.label(index), target_class: p.classes?.target.class, result_class: p.classes?.result.class,
          pixel_mse: p.loss.pixel_mse, feature_mse: p.loss.feature_mse, loss: p.loss.final.total, chosen_label: p.label ?? null,
          codes: p.codes, evaluations: p.evaluations, seconds, ...(pair ? { size: pair.height, target_pixels: cut(0), result_pixels: cut(pair.height + 2) } : {}),
        }) + '\n');
        rmSync(dir, { recursive: true, force: true });
        if ((n + 1) % 10 === 0 || n + 1 === order.length)
          console.log(`  ${member}: ${n + 1}/${order.length} (${seconds.toFixed(1)} s the last)`);
      }
      // Times: the first K images at 1 thread and at every core, natively and in the browser.
      for (const t of targets) {
        for (const [how, threads] of [['native-1', 1], ['native-all', cores]]) {
          if (timed.has(`${how}:${t.index}`)) continue;
          const dir = join(work, `${member}-t${t.index}`);
          const { p, seconds } = projectNative(o, member, t.png, threads, dir);
          appendFileSync(file, JSON.stringify({ kind: 'timing', how, member, index: t.index, threads: Math.min(threads, p.candidates.length * p.starts), seconds }) + '\n');
          t.z = p.z;
          rmSync(dir, { recursive: true, force: true });
        }
      }
      if (o.browser && targets.length && !targets.every((t) => timed.has(`browser-threaded:${t.index}`))) {
        for (const t of targets) if (!t.z) t.z = projectNative(o, member, t.png, cores, join(work, `${member}-z${t.index}`)).p.z;
        const b = await browserTimes(o, member, targets);
        for (const [name, runs] of Object.entries(b))
          runs.forEach((r, i) => appendFileSync(file, JSON.stringify({
            kind: 'timing', how: `browser-${name}`, member, index: targets[i].index, threads: r.threads, isolated: r.isolated, seconds: r.ms / 1000,
            z_diff: Math.max(...r.z.map((v, j) => Math.abs(v - targets[i].z[j]))),
          }) + '\n'));
      }
      if (o.grids) grid(o, member);
      console.log(`  ${member}: done`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(table(o));
}

main().catch((e) => {
  console.error(`bench-project: ${e.message}`);
  process.exit(1);
});
