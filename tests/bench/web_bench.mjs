// Benchmark of the wasm core in headless Chromium (a script, not a test): median ms per
// generate() call at batch 1 and 64, the bytes the page downloads, time from navigation to
// the first image.  node tests/bench/web_bench.mjs [--model web/models/dcgan.safetensors] [--runs 15]
// Needs web/ganzoo-core.{js,wasm} (make wasm) and tests/web/node_modules (scripts/install-deps.sh).
// The comparison with onnxruntime-web and TensorFlow.js is tests/bench/peers.mjs (make bench-web).
import { createRequire } from 'node:module';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(join(root, 'tests/web/package.json'));
const { chromium } = require('playwright-core');
const { serve } = await import(join(root, 'tests/web/serve.mjs'));
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const model = resolve(arg('--model', join(root, 'web/models/dcgan.safetensors')));
const runs = Number(arg('--runs', 15));

const files = mkdtempSync(join(tmpdir(), 'ganzoo-bench-'));
copyFileSync(model, join(files, 'model.safetensors'));
const web = await serve({ root: join(root, 'web'), mounts: { '/bench-files/': files } });
const userDir = mkdtempSync(join(tmpdir(), 'ganzoo-bench-chromium-'));
const browser = await chromium.launchPersistentContext(userDir, { executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });

async function measure() {
  const page = await browser.newPage();
  const bytes = {};
  page.on('response', async (r) => { try { bytes[new URL(r.url()).pathname] = (await r.body()).length; } catch {} });
  const t0 = Date.now();
  await page.goto(`${web.url}index.html?model=/bench-files/model.safetensors`);
  await page.waitForFunction(() => window.ganzooPage && window.ganzooPage.grid, null, { timeout: 60000 });
  const firstImageMs = Date.now() - t0;
  const r = await page.evaluate(async (runs) => {
    const m = window.ganzooPage.model;
    const out = {};
    for (const batch of [1, 64]) {
      const t = [];
      for (let i = 0; i < 3; i++) await m.generate({ seed: i, count: batch });  // warm-up (tier-up)
      for (let i = 0; i < runs; i++) t.push((await m.generate({ seed: 100 + i, count: batch })).ms);
      t.sort((a, b) => a - b);
      out[batch] = t[t.length >> 1];
    }
    return out;
  }, runs);
  await page.close();
  return { firstImageMs, ms: r, bytes };
}

await measure();  // the first page after Chromium starts runs slower (docs/toolchain.md): discard it
const r = await measure();
const engine = ['ganzoo-core.js', 'ganzoo-core.wasm', 'ganzoo.js', 'ganzoo-worker.js'].reduce((s, f) => s + (r.bytes['/' + f] || 0), 0);
console.log(`engine                 batch 1 (ms)  batch 64 (ms)  engine download  first image`);
console.log(`ganzoo wasm (1 thread) ${r.ms[1].toFixed(2).padStart(12)}  ${r.ms[64].toFixed(1).padStart(13)}  ${(engine / 1024).toFixed(0).padStart(12)} KB  ${String(r.firstImageMs).padStart(8)} ms`);
console.log(`(model ${(r.bytes['/bench-files/model.safetensors'] / 1e6).toFixed(2)} MB; median of ${runs} runs after 3 warm-ups; time in the worker around the core call)`);
await browser.close();
await web.close();
rmSync(files, { recursive: true, force: true });
rmSync(userDir, { recursive: true, force: true });
