// The projection's label/code search cut, measured (docs/projection.md, "The search is cut"): on the
// first N Fashion-MNIST test images of each class, a cGAN's label (an InfoGAN's categorical code)
// is searched without the cut (`ganzoo project --search-keep 0`: every value with every start to
// the last step), and each value's loss curve is kept (projection.json's candidates[].losses: its
// best start's loss at every step), one JSON line per image. Cuts are then simulated on those
// curves: keeping K values at step S drops the full search's winner when it is not among the K
// lowest at S. The simulation is exact, since a kept row's path is the same with or without the
// rows beside it (core.project checks it).
//
//   node scripts/search-cut.mjs [--members cgan,infogan] [--per-class 2] [--out DIR]
//        [--cuts 15:2,30:1,30:2,60:1,60:2,60:3] [--table] [--ganzoo PATH]
//
// --out DIR   one MEMBER.jsonl per member (default docs/results/projection/search); a stopped run
//             continues where it was
// --table     prints the table of what DIR holds, and projects nothing
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { writeGreyPng } from './png.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DATA = '/usr/share/datasets/fashion-mnist';
const SEARCHED = ['cgan', 'infogan'];

function options(argv) {
  const o = { members: SEARCHED, perClass: 2, out: join(root, 'docs/results/projection/search'), table: false,
              cuts: [[15, 2], [30, 1], [30, 2], [60, 1], [60, 2], [60, 3]], ganzoo: join(root, 'build/native/bin/ganzoo') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--members') {
      o.members = next().split(',');
      for (const m of o.members) if (!SEARCHED.includes(m)) throw new Error(`--members: '${m}' has no label or code to search (${SEARCHED.join(', ')})`);
    } else if (a === '--per-class') {
      const v = next();
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new Error(`--per-class takes a whole number >= 1, got '${v}'`);
      o.perClass = Number(v);
    } else if (a === '--cuts') {
      o.cuts = next().split(',').map((c) => {
        const m = /^(\d+):(\d+)$/.exec(c);
        if (!m || Number(m[2]) < 1) throw new Error(`--cuts takes STEP:KEEP pairs (KEEP >= 1), got '${c}'`);
        return [Number(m[1]), Number(m[2])];
      });
    } else if (a === '--out') o.out = resolve(next());
    else if (a === '--ganzoo') o.ganzoo = resolve(next());
    else if (a === '--table') o.table = true;
    else if (a === '--help' || a === '-h') {
      console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown argument '${a}' (--help lists them)`);
  }
  return o;
}

function testSplit() {
  const images = gunzipSync(readFileSync(join(DATA, 't10k-images-idx3-ubyte.gz')));
  const labels = gunzipSync(readFileSync(join(DATA, 't10k-labels-idx1-ubyte.gz')));
  return { count: labels.length - 8, label: (i) => labels[8 + i], image: (i) => Buffer.from(images.subarray(16 + i * 784, 16 + (i + 1) * 784)) };
}

const read = (file) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
const winner = (curves) => curves.reduce((best, c, k) => (c[c.length - 1] < curves[best][curves[best].length - 1] ? k : best), 0);

function table(o) {
  const rows = ['| cut at step | keep | generator passes (of the full search) | ' + o.members.map((m) => `${m}: winner dropped`).join(' | ') + ' |',
                '|---|---|---|' + o.members.map(() => '---|').join('')];
  const data = Object.fromEntries(o.members.map((m) => [m, read(join(o.out, `${m}.jsonl`))]));
  for (const [step, keep] of o.cuts) {
    let cost = '';
    const cells = o.members.map((m) => {
      const lines = data[m];
      if (!lines.length) return '—';
      const { steps, starts, candidates } = lines[0];
      cost = `${(100 * (candidates * starts * (step + 1) + keep * starts * (steps - step)) / (candidates * starts * (steps + 1))).toFixed(0)} %`;
      const dropped = [];
      for (const l of lines) {
        const w = winner(l.curves);
        const kept = l.curves.map((c, k) => k).sort((a, b) => l.curves[a][step] - l.curves[b][step] || a - b).slice(0, keep);
        if (!kept.includes(w)) {
          const best = Math.min(...kept.map((k) => l.curves[k][l.curves[k].length - 1]));
          dropped.push(`${(100 * (best / l.curves[w][l.curves[w].length - 1] - 1)).toFixed(1)} %`);
        }
      }
      return `${dropped.length} of ${lines.length}${dropped.length ? ` (final loss ${dropped.join(', ')} above)` : ''}`;
    });
    rows.push(`| ${step} | ${keep} | ${cost} | ${cells.join(' | ')} |`);
  }
  return rows.join('\n');
}

function main() {
  const o = options(process.argv.slice(2));
  if (o.table) return console.log(table(o));
  if (!existsSync(o.ganzoo)) throw new Error(`no ${o.ganzoo}: build it first (make build)`);
  const split = testSplit();
  const seen = new Array(10).fill(0), order = [];
  for (let i = 0; i < split.count && order.length < 10 * o.perClass; i++)
    if (seen[split.label(i)] < o.perClass) seen[split.label(i)]++, order.push(i);
  mkdirSync(o.out, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'ganzoo-search-cut-'));
  try {
    for (const member of o.members) {
      const file = join(o.out, `${member}.jsonl`), done = new Set(read(file).map((l) => l.index));
      for (const index of order) {
        if (done.has(index)) continue;
        const png = join(work, `test${index}.png`), dir = join(work, `${member}-${index}`);
        writeGreyPng(png, 28, 28, split.image(index));
        execFileSync(o.ganzoo, ['project', join(root, 'web/models', `${member}.safetensors`), '--target', png, '--search-keep', '0',
                                '--threads', '1', '-o', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
        const p = JSON.parse(readFileSync(join(dir, 'projection.json'), 'utf8'));
        appendFileSync(file, JSON.stringify({ member, index, label: split.label(index), chosen: p.label ?? p.codes.c_cat?.[0] ?? null,
                                              steps: p.steps, starts: p.starts, candidates: p.candidates.length,
                                              curves: p.candidates.map((c) => c.losses) }) + '\n');
        rmSync(dir, { recursive: true, force: true });
        console.log(`  ${member}: test image ${index} (class ${split.label(index)}) done`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(table(o));
}

try {
  main();
} catch (e) {
  console.error(`search-cut: ${e.message}`);
  process.exit(1);
}
