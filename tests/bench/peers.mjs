// Benchmark of the wasm core against its peers in headless Chromium (a script, not a test):
// the same generator, the same weights and the same latents run by (a) our core through
// web/ganzoo.js, (b) onnxruntime-web (wasm backend, SIMD) and (c) TensorFlow.js (wasm backend,
// SIMD), each single-threaded on a plain page and with threads on a cross-origin isolated one.
// Prints median ms at batch 1 and 64, the ratios to ours, the bytes each engine makes the page
// download, the time from navigation to the first image, and checks that all engines agree
// within 1e-3 (exit status 1 if not).
//
//   node tests/bench/peers.mjs [--model web/models/dcgan.safetensors] [--runs 15] [--rounds 1]
//                              [--engines ganzoo,ort,ort-worker,tfjs] [--no-threads] [--json FILE] [--web DIR]
//                              [--baseline DIR]
// make bench-web runs it. Needs web/ganzoo-core{,-mt}.{js,wasm} (make wasm), tests/web and
// tests/bench node_modules (GANZOO_BENCH_DEPS=1 scripts/install-deps.sh, as make bench-web does)
// and /usr/bin/python3 with torch (the ONNX twin of the model is built by tests/bench/make_onnx.py
// into build/bench/, once per model). --rounds N repeats every measurement N times, engines
// interleaved, and reports medians; --baseline DIR adds the engine 'ganzoo-base': the web/ files
// of another build of ours (a copy of web/ before a change), measured in the same rounds, with
// the paired ratio of the two builds; GZ_JSFLAGS passes V8 flags to Chromium (experiments only).
// docs/web-bench.md has the results and what they mean.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const { chromium } = createRequire(join(root, 'tests/web/package.json'))('playwright-core');
const { serve } = await import(join(root, 'tests/web/serve.mjs'));
const modules = join(here, 'node_modules');

const argv = process.argv.slice(2);
const arg = (name, dflt) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : dflt; };
const model = resolve(arg('--model', join(root, 'web/models/dcgan.safetensors')));
const web = resolve(arg('--web', join(root, 'web')));  // where ganzoo.js and the cores are
const runs = Number(arg('--runs', 15));
const rounds = Number(arg('--rounds', 1));
const baseline = arg('--baseline') && resolve(arg('--baseline'));
const wanted = arg('--engines', 'ganzoo,ort,ort-worker,tfjs').split(',');
if (baseline && !wanted.includes('ganzoo-base')) wanted.splice(wanted.indexOf('ganzoo') + 1, 0, 'ganzoo-base');
const hardware = cpus().length;
const withThreads = !argv.includes('--no-threads') && hardware > 1;
const TOLERANCE = 1e-3;

function version(pkg) {
  return JSON.parse(readFileSync(join(modules, pkg, 'package.json'), 'utf8')).version;
}
for (const f of ['ganzoo-core.js', 'ganzoo-core.wasm', ...(withThreads ? ['ganzoo-core-mt.js', 'ganzoo-core-mt.wasm'] : [])])
  if (!existsSync(join(web, f))) throw new Error(`peers: ${join(web, f)} is missing (make wasm)`);
if (!existsSync(modules)) throw new Error('peers: tests/bench/node_modules is missing (GANZOO_BENCH_DEPS=1 scripts/install-deps.sh)');

// The ONNX twin, rebuilt when the model is newer than it.
const header = JSON.parse(readFileSync(model).subarray(8, 8 + Number(readFileSync(model).readBigUInt64LE(0))).toString());
const zDim = JSON.parse(header.__metadata__.ganzoo).inputs.z.dim;
const onnx = join(root, 'build/bench', basename(model).replace(/\.safetensors$/, '') + '.onnx');
if (!existsSync(onnx) || statSync(onnx).mtimeMs < statSync(model).mtimeMs) {
  mkdirSync(dirname(onnx), { recursive: true });
  execFileSync('/usr/bin/python3', [join(here, 'make_onnx.py'), model, '-o', onnx], { stdio: 'inherit' });
}

const files = mkdtempSync(join(tmpdir(), 'ganzoo-peers-'));
copyFileSync(model, join(files, 'model.safetensors'));
copyFileSync(onnx, join(files, 'model.onnx'));
const mounts = {
  '/bench/': join(here, 'page'),
  '/files/': files,
  '/ort/': join(modules, 'onnxruntime-web/dist'),
  '/tfjs/': join(modules, '@tensorflow/tfjs-core/dist'),
  '/tfjs-wasm/': join(modules, '@tensorflow/tfjs-backend-wasm/dist'),
  ...(baseline ? { '/base/': baseline } : {}),
};

// Bytes served, counted at the server: requests from workers (our core, ORT's and tfjs's
// threads) are included, which page-level events may miss.
let served = [];
function counting(s) {
  s.server.on('request', (req, res) => {
    const writeHead = res.writeHead;
    res.writeHead = function (status, headers) {
      served.push({ path: new URL(req.url, 'http://x').pathname, bytes: Number(headers?.['Content-Length'] || 0) });
      return writeHead.apply(this, arguments);
    };
  });
  return s;
}
// What a server compressing with gzip -9 would send for a served path (the same mapping as serve).
const gzipCache = new Map();
function gzipped(path) {
  if (!gzipCache.has(path)) {
    const mount = Object.keys(mounts).find((m) => path.startsWith(m));
    const file = mount ? join(mounts[mount], path.slice(mount.length)) : join(web, path);
    gzipCache.set(path, existsSync(file) ? gzipSync(readFileSync(file), { level: 9 }).length : 0);
  }
  return gzipCache.get(path);
}
const plain = counting(await serve({ root: web, mounts }));
const isolated = counting(await serve({ root: web, mounts, isolate: true }));

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', ...(process.env.GZ_JSFLAGS ? [`--js-flags=${process.env.GZ_JSFLAGS}`] : [])] });

const ENGINES = {
  ganzoo: 'ganzoo (this core)',
  'ganzoo-base': 'ganzoo baseline (--baseline)',
  ort: `onnxruntime-web ${version('onnxruntime-web')}`,
  'ort-worker': `onnxruntime-web ${version('onnxruntime-web')} proxy`,
  tfjs: `tfjs ${version('@tensorflow/tfjs-core')} wasm`,
};
const configs = [];
// The proxy-worker variant of onnxruntime-web only single-threaded (its round trip is the point).
for (const threads of withThreads ? [1, hardware] : [1])
  for (const engine of wanted)
    if (threads === 1 || engine !== 'ort-worker') configs.push({ engine, threads, key: `${engine}/${threads}` });

// One engine on a fresh page in a fresh context (its own HTTP and code caches).
async function measure({ engine, threads }, withOutput) {
  const server = threads > 1 ? isolated : plain;
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  served = [];
  await page.goto(`${server.url}bench/index.html?engine=${engine}&threads=${threads}&zdim=${zDim}`);
  const info = await page.evaluate(() => window.benchReady);
  if (info.error) throw new Error(`peers: ${engine} (${threads} threads) failed: ${info.error}\n${errors.join('\n')}`);
  const bytes = { engine: 0, model: 0, engineGzip: 0 };
  for (const { path, bytes: b } of served) {
    if (path.startsWith('/bench/')) continue;  // the harness page itself
    if (path.startsWith('/files/')) bytes.model += b;
    else {
      bytes.engine += b;
      bytes.engineGzip += gzipped(path);
    }
  }
  const b1 = await page.evaluate((runs) => window.bench.time(1, runs), runs);
  const b64 = await page.evaluate((runs) => window.bench.time(64, runs), runs);
  const output = withOutput ? await page.evaluate(() => window.bench.output(7, 64)) : null;
  await context.close();
  return { info, bytes, b1, b64, output };
}

const loadBefore = loadavg()[0];
// Chromium's first page runs slower (docs/toolchain.md): one discarded page per server first.
await measure({ engine: wanted[0], threads: 1 }, false);
if (withThreads) await measure({ engine: wanted[0], threads: hardware }, false);

const browserVersion = browser.version();
const results = {};
for (let round = 0; round < rounds; round++)
  for (const c of configs) {
    const r = await measure(c, round === 0);
    (results[c.key] ??= []).push(r);
    process.stderr.write(`round ${round + 1}/${rounds} ${c.key}: ${r.b1.ms.toFixed(2)} / ${r.b64.ms.toFixed(1)} ms\n`);
  }
await browser.close();
await plain.close();
await isolated.close();
rmSync(files, { recursive: true, force: true });

const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
const summary = {};
for (const [key, rs] of Object.entries(results))
  summary[key] = {
    threads: rs[0].info.threads, isolated: rs[0].info.isolated,
    ms1: median(rs.map((r) => r.b1.ms)), ms64: median(rs.map((r) => r.b64.ms)),
    rounds1: rs.map((r) => r.b1.ms), rounds64: rs.map((r) => r.b64.ms),
    inner1: rs[0].b1.innerMs === null ? null : median(rs.map((r) => r.b1.innerMs)),
    inner64: rs[0].b64.innerMs === null ? null : median(rs.map((r) => r.b64.innerMs)),
    first: median(rs.map((r) => r.info.firstImageMs)), engineBytes: rs[0].bytes.engine, modelBytes: rs[0].bytes.model,
    engineGzip: rs[0].bytes.engineGzip,
  };

// Agreement: every engine's images for seed 7, samples 0..63, against ours single-threaded.
const reference = results['ganzoo/1']?.[0].output;
const agreement = {};
let disagree = false;
for (const [key, rs] of Object.entries(results)) {
  if (!reference || key === 'ganzoo/1') continue;
  const out = rs[0].output;
  let max = out.length === reference.length ? 0 : Infinity;  // NaN anywhere: Infinity too
  for (let i = 0; i < out.length && max !== Infinity; i++) {
    const d = Math.abs(out[i] - reference[i]);
    max = Number.isNaN(d) ? Infinity : Math.max(max, d);
  }
  agreement[key] = max;
  if (!(max <= TOLERANCE)) disagree = true;
}

const mb = (b) => (b / 1e6).toFixed(2).padStart(6) + ' MB';
const kb = (b) => b < 1e6 ? (b / 1e3).toFixed(0).padStart(6) + ' KB' : mb(b);
const pad = (s, n) => String(s).padEnd(n);
const spread = (xs, digits) => (xs.length > 1 ? ` (${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)})` : '');
const ours = (threads) => summary[`ganzoo/${threads}`];
console.log(`Headless Chromium ${browserVersion}, ${hardware} cores (load average ${loadBefore.toFixed(1)} before, ` +
            `${loadavg()[0].toFixed(1)} after); median of ${runs} calls after >= 2 s of warm-up` +
            (rounds > 1 ? `, median over ${rounds} rounds` : '') + `; model ${basename(model)}`);
const w1 = rounds > 1 ? 18 : 9, w64 = rounds > 1 ? 20 : 9;
console.log(`${pad('engine', 34)} ${pad('threads', 8)} ${pad('batch 1', w1)} ${pad('batch 64', w64)} ${pad('x ours 1/64', 13)} ${pad('engine dl', 10)} ${pad('(gzip)', 10)} ${pad('model dl', 10)} first image`);
for (const c of configs) {
  const s = summary[c.key];
  const ref = ours(c.threads) ?? ours(1);
  const ratio = ref ? `${(s.ms1 / ref.ms1).toFixed(2)} / ${(s.ms64 / ref.ms64).toFixed(2)}` : '-';
  const name = c.engine.startsWith('ganzoo') ? `${ENGINES[c.engine]}${c.threads > 1 ? ' -pthread' : ''}` : ENGINES[c.engine];
  console.log(`${pad(name, 34)} ${pad(s.threads + (c.threads > 1 && !s.isolated ? '!' : ''), 8)} ${pad(s.ms1.toFixed(2) + spread(s.rounds1, 2), w1)} ${pad(s.ms64.toFixed(1) + spread(s.rounds64, 1), w64)} ` +
              `${pad(ratio, 13)} ${pad(kb(s.engineBytes), 10)} ${pad(kb(s.engineGzip), 10)} ${pad(kb(s.modelBytes), 10)} ${s.first.toFixed(0).padStart(6)} ms`);
}
if (ours(1)?.inner1 != null)
  console.log(`(ours: ms is what the page awaits for the floats, worker round trip and the copy out of the heap included; the core call alone: ` +
              configs.filter((c) => c.engine === 'ganzoo').map((c) => `${c.threads} thread(s) ${summary[c.key].inner1.toFixed(2)} / ${summary[c.key].inner64.toFixed(1)} ms`).join(', ') + ')');
if (rounds > 1) console.log('(batch columns: median over the rounds, then the range of the rounds\' medians)');
console.log(`agreement with ours (seed 7, 64 images, max |diff|, tolerance ${TOLERANCE}): ` +
            Object.entries(agreement).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', '));

// The web core's goals against its peers (docs/web-bench.md; printed, never a test failure). Speed ratios are paired: the median over
// the rounds of (theirs / ours) in the same round, so that the machine's drift between rounds
// (other jobs) cancels out.
const ort1 = summary['ort/1'];
if (ours(1) && ort1) {
  const goal = (ok) => (ok ? 'met' : 'NOT met');
  const paired = (theirs, mine, field) =>
    Number(median(results[theirs].map((r, i) => r[field].ms / results[mine][i][field].ms)).toFixed(2));
  const pairedInner = (theirs, mine, field) =>
    Number(median(results[theirs].map((r, i) => r[field].ms / results[mine][i][field].innerMs)).toFixed(2));
  const r64 = paired('ort/1', 'ganzoo/1', 'b64'), r1 = paired('ort/1', 'ganzoo/1', 'b1');
  console.log(`goal single-thread batch 64: ours ${r64}x onnxruntime-web (>= 1.5x: ${goal(r64 >= 1.5)})`);
  console.log(`goal single-thread batch 1:  ours ${r1}x onnxruntime-web (> 1x: ${goal(r1 > 1)}); ` +
              `our core call alone ${pairedInner('ort/1', 'ganzoo/1', 'b1')}x` +
              (results['ort-worker/1'] ? `; vs its proxy worker ${paired('ort-worker/1', 'ganzoo/1', 'b1')}x` : ''));
  if (ours(hardware) && hardware > 1) {
    const rt = paired('ort/1', `ganzoo/${hardware}`, 'b64');
    console.log(`goal threads batch 64: ours (${ours(hardware).threads} threads) ${rt}x onnxruntime-web single-thread (>= 2.5x: ${goal(rt >= 2.5)})` +
                (results[`ort/${hardware}`] ? `; ${paired(`ort/${hardware}`, `ganzoo/${hardware}`, 'b64')}x onnxruntime-web with ${summary[`ort/${hardware}`].threads} threads` : ''));
  }
  for (const threads of withThreads ? [1, hardware] : [1])
    if (results[`ganzoo-base/${threads}`] && results[`ganzoo/${threads}`])
      console.log(`this build vs the baseline, ${threads} thread(s): ${paired(`ganzoo-base/${threads}`, `ganzoo/${threads}`, 'b1')}x at batch 1, ` +
                  `${paired(`ganzoo-base/${threads}`, `ganzoo/${threads}`, 'b64')}x at batch 64 (> 1: this build is faster); ` +
                  `download ${kb(summary[`ganzoo/${threads}`].engineBytes).trim()} vs ${kb(summary[`ganzoo-base/${threads}`].engineBytes).trim()}`);
  const mt = summary[`ort/${hardware}`] ?? ort1, ourMt = ours(hardware) ?? ours(1);
  for (const [label, o, peer] of [['single-thread', ours(1), ort1], ['threaded', ourMt, mt]])
    if (o !== ourMt || o !== ours(1) || label === 'single-thread')
      console.log(`goal download (${label}): ours ${kb(o.engineBytes).trim()} vs onnxruntime-web ${kb(peer.engineBytes).trim()}: ` +
                  `1/${(peer.engineBytes / o.engineBytes).toFixed(1)} (<= 1/50: ${goal(peer.engineBytes / o.engineBytes >= 50)}); ` +
                  `gzip 1/${(peer.engineGzip / o.engineGzip).toFixed(1)}`);
}
const jsonOut = arg('--json');
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ summary, agreement, runs, rounds, hardware }, null, 1));
if (disagree) {
  console.error(`peers: FAIL: the engines do not agree within ${TOLERANCE}: ${JSON.stringify(agreement)}`);
  process.exit(1);
}
